// The conversions of argument kinds several bindings share: durations in seconds, counts, and
// instants as timezone-aware datetimes.
#include <algorithm>
#include <cmath>
#include <string>

#include "bindings.hpp"
#include "cas/errors.hpp"

namespace cas::python {
namespace {

// The longest duration a std::chrono clock (nanoseconds in int64) can hold, in seconds: the
// library adds durations to time points, so anything longer would wrap around.
constexpr double kMaxSeconds = 9.2e9;

// datetime.datetime's range in seconds since the epoch: 0001-01-01 and 9999-12-31T23:59:59.
constexpr std::int64_t kMinDatetime = -62135596800;
constexpr std::int64_t kMaxDatetime = 253402300799;

}  // namespace

std::chrono::seconds to_seconds(double seconds, std::string_view name) {
  if (!std::isfinite(seconds) || std::fabs(seconds) > kMaxSeconds) {
    throw InvalidArgumentError(std::string(name) + ": " + std::to_string(seconds) +
                               " seconds is not a duration cas can represent");
  }
  return std::chrono::seconds(static_cast<std::int64_t>(std::floor(seconds)));
}

std::optional<std::uint64_t> to_count(const std::optional<py::int_>& value, std::string_view name) {
  if (!value) return std::nullopt;
  if (*value < py::int_(0)) throw InvalidArgumentError(std::string(name) + " must not be negative");
  unsigned long long n = PyLong_AsUnsignedLongLong(value->ptr());
  if (PyErr_Occurred()) throw py::error_already_set();  // OverflowError beyond 2**64-1
  return static_cast<std::uint64_t>(n);
}

std::optional<FreeSpace> to_free_space(const py::object& value, std::string_view name) {
  if (value.is_none()) return std::nullopt;
  if (py::isinstance<py::bool_>(value)) {
    throw py::type_error(std::string(name) + ": give bytes (an int) or a fraction (a float)");
  }
  if (py::isinstance<py::int_>(value)) {
    return FreeSpace::of_bytes(*to_count(value.cast<py::int_>(), name));
  }
  if (py::isinstance<py::float_>(value)) return FreeSpace::of_fraction(value.cast<double>());
  throw py::type_error(std::string(name) + ": give bytes (an int) or a fraction (a float)");
}

py::object free_space_or_none(const std::optional<FreeSpace>& floor) {
  if (!floor) return py::none();
  if (floor->fraction > 0) return py::float_(floor->fraction);
  return py::int_(floor->bytes);
}

py::object utc_datetime(std::int64_t seconds) {
  py::module_ datetime = py::module_::import("datetime");
  py::object utc = datetime.attr("timezone").attr("utc");
  py::object epoch = datetime.attr("datetime")(1970, 1, 1, py::arg("tzinfo") = utc);
  seconds = std::min(std::max(seconds, kMinDatetime), kMaxDatetime);
  return epoch + datetime.attr("timedelta")(py::arg("seconds") = seconds);
}

}  // namespace cas::python
