// Multi-process stress: four processes share one store for a bounded time, each doing
// thousands of random put, insert, lookup, open, remove and migrate calls, and logging what
// it inserted and removed. Afterwards every hash whose last logged operation was an insert is
// present with its content, every removed one is absent, the legacy (V0) files that lookups
// and migrations moved around are all still there, and no process saw an error.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "cas/errors.hpp"
#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

constexpr int kProcesses = 4;
constexpr int kOwnHashes = 150;  // per process: only its owner inserts and removes them
constexpr int kLegacy = 400;     // V0 files present from the start, never removed

std::string own_content(int p, int k) {
  return "process " + std::to_string(p) + " item " + std::to_string(k);
}
std::string legacy_content(int i) { return "legacy " + std::to_string(i); }
using test::sha256;

// True when `in` holds exactly the content that hashes to `hash`.
bool content_matches(std::istream& in, const std::string& hash) {
  std::string data(std::istreambuf_iterator<char>(in), {});
  return sha256(data) == hash;
}

struct Counts {
  long put = 0, insert = 0, lookup = 0, open = 0, remove = 0, migrate = 0;
};

// One process's work. Returns 0, or 1 after writing the unexpected error to the log.
int worker(int p, const fs::path& root, const fs::path& work, double seconds) {
  std::ofstream log((work / ("log-" + std::to_string(p))).string());
  Counts n;
  try {
    Store store(root, StoreOptions{.durability = Durability::none});
    std::mt19937 rng(1000 + p);
    const fs::path mine = work / ("p" + std::to_string(p));
    fs::create_directories(mine);
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    long step = 0;
    while (std::chrono::steady_clock::now() < end) {
      ++step;
      const int k = static_cast<int>(rng() % kOwnHashes);
      const std::string h = sha256(own_content(p, k));
      const unsigned dice = rng() % 100;
      if (dice < 20) {  // put from a file this process wrote
        fs::path src = mine / "src";
        test::write_file(src, own_content(p, k));
        if (store.put(src) != h) throw std::runtime_error("put returned a wrong hash");
        log << "I " << h << "\n";
        ++n.put;
      } else if (dice < 35) {  // insert (move) a downloaded file
        fs::path dl = mine / ("dl-" + std::to_string(step));
        test::write_file(dl, own_content(p, k));
        store.insert(h, dl);
        log << "I " << h << "\n";
        ++n.insert;
      } else if (dice < 50) {  // remove one of its own
        store.remove(h);
        log << "R " << h << "\n";
        ++n.remove;
      } else if (dice < 75) {  // look up anyone's hash or a legacy one
        const int who = static_cast<int>(rng() % (kProcesses + 1));
        const std::string q =
            who == kProcesses ? sha256(legacy_content(k % kLegacy)) : sha256(own_content(who, k));
        auto path = store.lookup(q);
        if (who == kProcesses && !path) throw std::runtime_error("legacy file missing: " + q);
        ++n.lookup;
      } else if (dice < 99) {  // open and read, checking the content
        const int who = static_cast<int>(rng() % (kProcesses + 1));
        const std::string q =
            who == kProcesses ? sha256(legacy_content(k % kLegacy)) : sha256(own_content(who, k));
        if (auto in = store.open(q)) {
          if (!content_matches(*in, q)) throw std::runtime_error("torn or wrong content: " + q);
        } else if (who == kProcesses) {
          throw std::runtime_error("legacy file missing: " + q);
        }
        ++n.open;
      } else {  // a whole-store migration now and then
        MigrateOptions mo;
        mo.threads = 4;
        MigrateResult r = migrate(store, mo);
        if (r.failed != 0) throw std::runtime_error("migrate failed on some files");
        ++n.migrate;
      }
    }
    log << "C " << n.put << " " << n.insert << " " << n.lookup << " " << n.open << " " << n.remove
        << " " << n.migrate << "\n";
    return 0;
  } catch (const std::exception& e) {
    log << "E " << e.what() << "\n";
    return 1;
  }
}

TEST(StoreStressTest, FourProcessesOfRandomOperationsLoseNothing) {
  test::TempDir tmp;
  const fs::path root = tmp / "store";
  const V0Layout v0;
  for (int i = 0; i < kLegacy; ++i) {
    test::write_file(root / v0.lookup(sha256(legacy_content(i))), legacy_content(i));
  }
  const char* env = ::getenv("CAS_STRESS_SECONDS");
  const double seconds = env ? std::atof(env) : 5.0;

  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ::_exit(worker(p, root, tmp.path(), seconds));
    pids.push_back(pid);
  }
  for (int p = 0; p < kProcesses; ++p) {
    int status = 0;
    ::waitpid(pids[p], &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "process " << p << " failed";
  }

  Store check(root, StoreOptions{.read_only = true});
  Counts total;
  for (int p = 0; p < kProcesses; ++p) {
    std::ifstream log((tmp / ("log-" + std::to_string(p))).string());
    std::map<std::string, char> last;  // hash -> 'I' or 'R', in the order this process did them
    std::string line;
    bool completed = false;
    while (std::getline(log, line)) {
      if (line.rfind("E ", 0) == 0) ADD_FAILURE() << "process " << p << ": " << line.substr(2);
      if (line.rfind("C ", 0) == 0) {
        std::istringstream in(line.substr(2));
        Counts c;
        in >> c.put >> c.insert >> c.lookup >> c.open >> c.remove >> c.migrate;
        total.put += c.put, total.insert += c.insert, total.lookup += c.lookup;
        total.open += c.open, total.remove += c.remove, total.migrate += c.migrate;
        completed = true;
      } else if (line.size() > 2) {
        last[line.substr(2)] = line[0];
      }
    }
    EXPECT_TRUE(completed) << "process " << p << " did not finish its log";
    for (const auto& [h, op] : last) {
      auto in = check.open(h);
      if (op == 'I') {
        ASSERT_TRUE(in) << "process " << p << " inserted " << h << " last, but it is missing";
        EXPECT_TRUE(content_matches(*in, h)) << h;
      } else {
        EXPECT_FALSE(in) << "process " << p << " removed " << h << " last, but it is there";
      }
    }
  }
  for (int i = 0; i < kLegacy; ++i) {
    auto in = check.open(sha256(legacy_content(i)));
    ASSERT_TRUE(in) << "legacy file " << i << " lost";
    EXPECT_TRUE(content_matches(*in, sha256(legacy_content(i))));
  }
  // No temp or stray file is visible.
  EXPECT_NO_THROW(check.walk([](const std::string&) {}));
  std::printf("operations: put %ld, insert %ld, lookup %ld, open %ld, remove %ld, migrate %ld\n",
              total.put, total.insert, total.lookup, total.open, total.remove, total.migrate);
  // Enough happened for the test to mean something.
  EXPECT_GT(total.put + total.insert + total.remove + total.lookup + total.open, 2000);
  EXPECT_GT(total.migrate, 0);
}

}  // namespace
}  // namespace cas
