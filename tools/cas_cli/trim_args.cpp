#include "trim_args.hpp"

#include <stdexcept>

#include "cli.hpp"
#include "context.hpp"
#include "units.hpp"

namespace cas::cli {

namespace {

// Runs `parse(text)`, turning its std::invalid_argument into a usage error naming `option`.
template <typename Parse>
auto parse_option(const std::string& option, const std::string& text, Parse parse) {
  try {
    return parse(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(option, e.what());
  }
}

// --min-free: a SIZE, or a PERCENT of the filesystem followed by '%' (1% to 99%).
FreeSpace parse_free_space(const std::string& text) {
  if (!text.empty() && text.back() == '%') {
    const unsigned percent = parse_percent(std::string_view(text).substr(0, text.size() - 1));
    if (percent >= 100)
      throw std::invalid_argument("'" + text + "' would keep the whole filesystem free");
    return FreeSpace::of_fraction(percent / 100.0);
  }
  const std::uint64_t bytes = parse_size(text);
  if (bytes == 0) throw std::invalid_argument("'" + text + "' is no floor: give more than 0");
  return FreeSpace::of_bytes(bytes);
}

}  // namespace

TrimOptions trim_options(const TrimArgs& args) {
  TrimOptions options;
  if (args.max_size) options.max_bytes = parse_option("--max-size", *args.max_size, parse_size);
  if (args.max_files) {
    options.max_files = parse_option("--max-files", *args.max_files,
                                     [](const std::string& t) { return parse_count(t, "files"); });
  }
  if (args.max_age) options.max_age = parse_option("--max-age", *args.max_age, parse_age);
  if (args.min_free) {
    options.min_free = parse_option("--min-free", *args.min_free, parse_free_space);
  }
  options.low_water = parse_option("--low-water", args.low_water, parse_percent) / 100.0;
  if (!options.max_bytes && !options.max_files && !options.max_age && !options.min_free) {
    throw UsageError("trim",
                     "give at least one bound: --max-size, --max-files, --max-age or --min-free");
  }
  return options;
}

void add_trim_options(CLI::App* command, TrimArgs& args) {
  // Each bound is kept as given, to be parsed (and named when bad) by trim_options.
  const auto bound = [command](const std::string& name, std::optional<std::string>& into,
                               const std::string& help) {
    return command->add_option_function<std::string>(
        name, [&into](const std::string& text) { into = text; }, help);
  };
  bound("--max-size", args.max_size,
        "Bound on the bytes of content: a number of bytes, or with K, M, G or T (powers of "
        "1024), e.g. 500M, 2G")
      ->type_name("SIZE");
  bound("--max-files", args.max_files, "Bound on the number of files")->type_name("N");
  bound("--max-age", args.max_age,
        "Remove every file last used longer ago than this: a number with s, m, h or d, e.g. "
        "30d, 12h")
      ->type_name("AGE");
  bound("--min-free", args.min_free,
        "Keep this much free on the store's filesystem, whoever filled it: a SIZE, or a "
        "percentage of the filesystem with '%', e.g. 10G or 15%")
      ->type_name("SIZE|PERCENT%");
  command
      ->add_option("--low-water", args.low_water,
                   "A store over its size or file bound is trimmed to this percentage of it "
                   "(1 to 100), so it is not trimmed again at once")
      ->type_name("PERCENT")
      ->capture_default_str();
}

}  // namespace cas::cli
