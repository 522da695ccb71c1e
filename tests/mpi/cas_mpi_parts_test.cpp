// cas-mpi with its buckets cut into parts (--bucket-split), `ls` and `trim`: the same output,
// exit codes and effects on disk as single-process `cas` (tests/mpi/cas_mpi_fixture.hpp).
//
// ctest label `mpi`, as cas_mpi_test.cpp.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "cas_mpi_fixture.hpp"

namespace cas::mpi_test {
namespace {

namespace fs = boost::filesystem;
using test::RunResult;

// Every bucket split gives cas's results: the parts of a prefix directory add up to it.
class CasMpiSplitTest : public CasMpiTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CasMpiSplitTest, GivesTheOutputAndEffectsOfCasWithEverySplit) {
  for (const char* command : {"stats", "verify", "migrate", "purge"}) {
    std::vector<std::string> args = {command};
    if (std::string(command) == "stats") args.push_back("--json");
    expect_same(make_store("v0", kV0, kV1), args, {"--bucket-split", GetParam()});
    expect_same(make_store("v1", kV1, kV0), args, {"--bucket-split", GetParam()});
  }
}

// Every other test runs the default split (2 at 4 ranks) and the format-1 resume runs split 1;
// 4 is one level finer. (16 works as well, but at 4,097 buckets its jobs take minutes here.)
INSTANTIATE_TEST_SUITE_P(Splits, CasMpiSplitTest, ::testing::Values("4"),
                         [](const auto& info) { return std::string("Split") + info.param; });

TEST_F(CasMpiTest, LsPrintsWhatCasPrintsInTheSameOrder) {
  for (const auto& [name, main, other] :
       {std::tuple{"v0", &static_cast<const Layout&>(kV0), &static_cast<const Layout&>(kV1)},
        std::tuple{"v1", &static_cast<const Layout&>(kV1), &static_cast<const Layout&>(kV0)}}) {
    const fs::path store = make_store(name, *main, *other);
    const RunResult single = cas(store, {"ls"});
    const RunResult split = cas_mpi(store, {"ls"});
    EXPECT_EQ(single.exit_code, 0);  // README and ab/stray are reported, not failed
    EXPECT_EQ(split.exit_code, single.exit_code) << split.err;
    EXPECT_EQ(split.out, single.out);                          // sorted, each hash once
    EXPECT_EQ(test::lines_of(split.out).size(), kFiles + 1u);  // and the corrupt one
    for (const char* line :
         {"cas: ls: unrecognized file: README\n", "cas: ls: unrecognized file: ab/stray\n"}) {
      EXPECT_NE(split.err.find(line), std::string::npos) << split.err;
    }
  }
  // A store with nothing unrecognized lists with exit 0, as cas.
  const fs::path clean = tmp_ / "clean";
  for (int i = 0; i < 50; ++i) test::write_file(clean / kV1.lookup(hash_of(i)), content_of(i));
  const RunResult single = cas(clean, {"ls"}), split = cas_mpi(clean, {"ls"});
  EXPECT_EQ(split.exit_code, 0) << split.err;
  EXPECT_EQ(split.out, single.out);
  EXPECT_EQ(cas_mpi(clean, {"ls", "--checkpoint", (tmp_ / "c").string()}).exit_code, 2);
}

// Gives every file of the tree its own last use, 60 s apart (in path order), the oldest
// 20050 s ago: no two files tie at a trim's cutoff, so one trim and a split trim must remove the
// very same files; and --max-age 1h cuts 50 s into a gap, so the two runs may start up to 50 s
// apart.
void spread_last_uses(const fs::path& root) {
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    if (fs::is_regular_file(it->symlink_status())) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  const std::time_t base = std::time(nullptr) - 20050;
  for (std::size_t k = 0; k < files.size(); ++k) {
    test::set_mtime(files[k], base + 60 * static_cast<std::time_t>(k));
  }
}

// trim on a V0 and a V1 store (pins, files under both layouts, unrecognized files): the same
// summary, exit code and remaining tree as `cas trim`.
class CasMpiTrimTest : public CasMpiTest,
                       public ::testing::WithParamInterface<std::vector<std::string>> {};

TEST_P(CasMpiTrimTest, RemovesWhatCasTrimRemoves) {
  std::vector<std::string> args = {"trim"};
  args.insert(args.end(), GetParam().begin(), GetParam().end());
  for (const char* name : {"v0", "v1"}) {
    const bool v0 = std::string(name) == "v0";
    const fs::path store = make_store(name, v0 ? static_cast<const Layout&>(kV0) : kV1,
                                      v0 ? static_cast<const Layout&>(kV1) : kV0);
    // The default split (2 at 4 ranks) already cuts every prefix directory into parts.
    spread_last_uses(store);
    expect_same(store, args, {});
  }
}

INSTANTIATE_TEST_SUITE_P(Bounds, CasMpiTrimTest,
                         ::testing::Values(std::vector<std::string>{"--max-files", "200"},
                                           std::vector<std::string>{"--max-age", "1h"},
                                           std::vector<std::string>{"--max-files", "300",
                                                                    "--max-size", "9K",
                                                                    "--low-water", "50"},
                                           std::vector<std::string>{"--max-files", "100", "-n"}),
                         [](const auto& info) {
                           std::string name;
                           for (const auto& a : info.param) {
                             for (char c : a)
                               if (std::isalnum(static_cast<unsigned char>(c))) name += c;
                           }
                           return name;
                         });

TEST_F(CasMpiTest, TrimUsageErrorsExitTwoAsCasDoes) {
  const fs::path store = make_store("v1", kV1, kV0);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"trim"}, std::vector<std::string>{"trim", "--max-size", "lots"},
        std::vector<std::string>{"trim", "--max-files", "5", "--checkpoint",
                                 (tmp_ / "c").string()}}) {
    const RunResult r = cas_mpi(store, args);
    EXPECT_EQ(r.exit_code, 2) << args.at(1 % args.size()) << "\n" << r.err;
  }
  const RunResult single = cas(store, {"trim", "--max-size", "lots"});
  const RunResult split = cas_mpi(store, {"trim", "--max-size", "lots"});
  EXPECT_EQ(split.err.substr(0, split.err.find('\n')), single.err.substr(0, single.err.find('\n')));
}

}  // namespace
}  // namespace cas::mpi_test
