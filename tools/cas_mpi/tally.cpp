#include "tally.hpp"

#include <cstring>
#include <stdexcept>

#include "cas/operations.hpp"

namespace cas::mpi {
namespace {

void put_u64(std::string& out, std::uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);  // both ends are ranks of one job: one byte order
  out.append(buf, 8);
}

void put_strings(std::string& out, const std::vector<std::string>& strings) {
  put_u64(out, strings.size());
  for (const auto& s : strings) {
    put_u64(out, s.size());
    out += s;
  }
}

class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  std::uint64_t u64() {
    need(8);
    std::uint64_t v;
    std::memcpy(&v, bytes_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }
  std::vector<std::string> strings() {
    std::vector<std::string> out(u64_count());
    for (auto& s : out) {
      const std::uint64_t n = u64();
      need(n);
      s = bytes_.substr(pos_, n);
      pos_ += n;
    }
    return out;
  }
  std::uint64_t u64_count() {
    const std::uint64_t n = u64();
    if (n > bytes_.size()) throw std::runtime_error("cas-mpi: a bucket's result is damaged");
    return n;
  }
  bool at_end() const { return pos_ == bytes_.size(); }

 private:
  void need(std::uint64_t n) const {
    if (bytes_.size() - pos_ < n)
      throw std::runtime_error("cas-mpi: a bucket's result is cut short");
  }
  const std::string& bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode(const Tally& t) {
  std::string out;
  put_u64(out, t.counts.size());
  for (auto v : t.counts) put_u64(out, v);
  put_strings(out, t.errors);
  put_strings(out, t.notes);
  put_u64(out, t.files);
  put_u64(out, t.bytes);
  return out;
}

Tally decode(const std::string& bytes) {
  Reader in(bytes);
  Tally t;
  t.counts.resize(in.u64_count());
  for (auto& v : t.counts) v = in.u64();
  t.errors = in.strings();
  t.notes = in.strings();
  t.files = in.u64();
  t.bytes = in.u64();
  if (!in.at_end()) throw std::runtime_error("cas-mpi: a bucket's result has trailing bytes");
  return t;
}

void add(Tally& into, const Tally& part) {
  if (into.counts.size() < part.counts.size()) into.counts.resize(part.counts.size());
  for (std::size_t i = 0; i < part.counts.size(); ++i) into.counts[i] += part.counts[i];
  for (const auto& e : part.errors) keep_error(into.errors, e);
  into.notes.insert(into.notes.end(), part.notes.begin(), part.notes.end());
  into.files += part.files;
  into.bytes += part.bytes;
}

}  // namespace cas::mpi
