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

}  // namespace

TrimOptions trim_options(const TrimArgs& args) {
  TrimOptions options;
  if (args.max_size) options.max_bytes = parse_option("--max-size", *args.max_size, parse_size);
  if (args.max_files) {
    options.max_files = parse_option("--max-files", *args.max_files,
                                     [](const std::string& t) { return parse_count(t, "files"); });
  }
  if (args.max_age) options.max_age = parse_option("--max-age", *args.max_age, parse_age);
  options.low_water = parse_option("--low-water", args.low_water, parse_percent) / 100.0;
  if (!options.max_bytes && !options.max_files && !options.max_age) {
    throw UsageError("trim", "give at least one bound: --max-size, --max-files or --max-age");
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
  command
      ->add_option("--low-water", args.low_water,
                   "A store over its size or file bound is trimmed to this percentage of it "
                   "(1 to 100), so it is not trimmed again at once")
      ->type_name("PERCENT")
      ->capture_default_str();
}

}  // namespace cas::cli
