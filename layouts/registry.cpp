// The layout name registry: "v0", "v1", "bazel-repo", "fanout:W[,W...]".
#include <charconv>
#include <string>

#include "cas/errors.hpp"
#include "cas/layout.hpp"

namespace cas {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::vector<std::shared_ptr<const Layout>> default_layouts() {
  // Shared instances: layouts are immutable, so every store can use the same two.
  static const auto kV1 = std::make_shared<const V1Layout>();
  static const auto kV0 = std::make_shared<const V0Layout>();
  return {kV1, kV0};
}

std::shared_ptr<const Layout> preferred_layout() { return default_layouts().front(); }

std::shared_ptr<const Layout> layout_by_name(std::string_view name) {
  if (name == "v1") return default_layouts()[0];
  if (name == "v0") return default_layouts()[1];
  if (name == "bazel-repo") {
    static const auto kBazelRepo = std::make_shared<const BazelRepoLayout>();
    return kBazelRepo;
  }
  constexpr std::string_view kFanout = "fanout:";
  if (name.substr(0, kFanout.size()) == kFanout) {
    std::vector<std::size_t> widths;
    std::string_view rest = name.substr(kFanout.size());
    while (true) {
      auto comma = rest.find(',');
      std::string_view part = rest.substr(0, comma);
      std::size_t w = 0;
      auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), w);
      if (!all_digits(part) || ec != std::errc() || end != part.data() + part.size()) {
        throw InvalidArgumentError("bad layout '" + std::string(name) +
                                   "': fanout widths are numbers, e.g. fanout:2,2");
      }
      widths.push_back(w);
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
    try {
      return std::make_shared<const FanoutLayout>(widths);
    } catch (const InvalidArgumentError& e) {
      throw InvalidArgumentError("bad layout '" + std::string(name) + "': " + e.what());
    }
  }
  throw InvalidArgumentError("unknown layout '" + std::string(name) +
                             "' (known: v1, v0, bazel-repo, fanout:W[,W...])");
}

std::vector<std::shared_ptr<const Layout>> layouts_by_names(std::string_view names) {
  // "v1,fanout:2,2,v0": a bare number continues the fanout spec before it.
  std::vector<std::string> specs;
  std::size_t pos = 0;
  while (pos <= names.size()) {
    auto comma = names.find(',', pos);
    std::string_view token =
        names.substr(pos, comma == std::string_view::npos ? names.npos : comma - pos);
    if (all_digits(token) && !specs.empty() && specs.back().rfind("fanout:", 0) == 0) {
      specs.back() += ",";
      specs.back() += token;
    } else {
      specs.emplace_back(token);
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  std::vector<std::shared_ptr<const Layout>> layouts;
  for (const auto& spec : specs) {
    if (spec.empty())
      throw InvalidArgumentError("empty layout name in '" + std::string(names) + "'");
    auto layout = layout_by_name(spec);
    for (const auto& seen : layouts) {
      if (seen->name() == layout->name()) {
        throw InvalidArgumentError("layout '" + spec + "' listed twice");
      }
    }
    layouts.push_back(std::move(layout));
  }
  return layouts;
}

}  // namespace cas
