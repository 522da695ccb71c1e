// Temp files of writers: the first write of a process is anonymous too (no bytes ever have a
// name before they are complete), named temps are removed by discard_temp_files_for_exit
// before a signalled exit, and stats counts temp files with their bytes.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cas/hash.hpp"
#include "cas/operations.hpp"
#include "cas/store.hpp"
#include "test_util.hpp"

namespace cas {
namespace {

namespace fs = boost::filesystem;

// The sizes of the named files in `dir` (none when it does not exist).
std::vector<std::uintmax_t> named_file_sizes(const fs::path& dir) {
  std::vector<std::uintmax_t> sizes;
  if (!fs::is_directory(dir)) return sizes;
  for (fs::directory_iterator it(dir), end; it != end; ++it) {
    if (fs::is_regular_file(it->symlink_status())) sizes.push_back(fs::file_size(it->path()));
  }
  return sizes;
}

// Looks into the temp area at every write after the first: what a crash at that instant leaves.
class WatchingFs : public FileSystemWrapper {
 public:
  explicit WatchingFs(fs::path temp_area)
      : FileSystemWrapper(FileSystem::posix()), temp_area_(std::move(temp_area)) {}
  int open(const char* path, int flags, mode_t mode, int* fd) override {
    if (no_tmpfile && (flags & O_TMPFILE) == O_TMPFILE) return EOPNOTSUPP;
    return FileSystemWrapper::open(path, flags, mode, fd);
  }
  int write(int fd, const void* buf, std::size_t size, std::size_t* done) override {
    if (writes++ > 0) {
      for (auto bytes : named_file_sizes(temp_area_)) named_bytes_seen += bytes;
    }
    return FileSystemWrapper::write(fd, buf, size, done);
  }
  bool no_tmpfile = false;
  int writes = 0;
  std::uintmax_t named_bytes_seen = 0;

 private:
  fs::path temp_area_;
};

std::string big_content() {
  std::string content(4 << 20, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + i / 997);
  return content;
}

TEST(TempFilesTest, TheFirstWriteOfAProcessNamesNoPartialBytes) {
  test::TempDir tmp;
  test::write_file(tmp / "big", big_content());
  StoreOptions options;
  auto watching = std::make_shared<WatchingFs>(tmp / "store" / ".cas-tmp");
  options.file_system = watching;
  Store store(tmp / "store", options);  // a new Store has not probed O_TMPFILE yet
  const std::string hash = store.put(tmp / "big");
  ASSERT_GT(watching->writes, 1) << "the content went in one write: nothing was looked at";
  EXPECT_EQ(watching->named_bytes_seen, 0u) << "a named temp held partial content";
  EXPECT_TRUE(named_file_sizes(tmp / "store" / ".cas-tmp").empty());
  EXPECT_EQ(test::read_file(*store.lookup(hash)), big_content());
}

TEST(TempFilesTest, WithoutOTmpfileTheWriteGoesThroughANamedTemp) {
  // The control for the test above: the watch does see a named temp's bytes when there is one.
  test::TempDir tmp;
  test::write_file(tmp / "big", big_content());
  StoreOptions options;
  auto watching = std::make_shared<WatchingFs>(tmp / "store" / ".cas-tmp");
  watching->no_tmpfile = true;
  options.file_system = watching;
  Store store(tmp / "store", options);
  store.put(tmp / "big");
  EXPECT_GT(watching->named_bytes_seen, 0u);
  EXPECT_TRUE(named_file_sizes(tmp / "store" / ".cas-tmp").empty());
}

// Blocks in the second write of a named temp, after telling the parent through `ready`.
class StallingFs : public FileSystemWrapper {
 public:
  explicit StallingFs(int ready) : FileSystemWrapper(FileSystem::posix()), ready_(ready) {}
  int open(const char* path, int flags, mode_t mode, int* fd) override {
    if ((flags & O_TMPFILE) == O_TMPFILE) return EOPNOTSUPP;
    return FileSystemWrapper::open(path, flags, mode, fd);
  }
  int write(int fd, const void* buf, std::size_t size, std::size_t* done) override {
    if (writes_++ == 1) {
      (void)!::write(ready_, "x", 1);
      for (;;) ::pause();  // until the signal ends the process
    }
    return FileSystemWrapper::write(fd, buf, size, done);
  }

 private:
  int ready_;
  int writes_ = 0;
};

TEST(TempFilesTest, DiscardBeforeASignalledExitRemovesTheNamedTempOfAWriteInProgress) {
  test::TempDir tmp;
  test::write_file(tmp / "big", big_content());
  const fs::path temp_area = tmp / "store" / ".cas-tmp";
  for (int sig : {SIGINT, SIGTERM}) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // What a program does (the cas tool does this): wait for the signal in a thread, discard
      // the temps, then die of the signal.
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, sig);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      std::thread([set, sig] {
        int got = 0;
        sigwait(&set, &got);
        discard_temp_files_for_exit();
        ::signal(sig, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
        ::raise(sig);
      }).detach();
      StoreOptions options;
      options.file_system = std::make_shared<StallingFs>(ready[1]);
      Store store(tmp / "store", options);
      store.put(tmp / "big");
      ::_exit(0);
    }
    ::close(ready[1]);
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1) << "the writer died before its second write";
    ::close(ready[0]);
    const auto sizes = named_file_sizes(temp_area);
    ASSERT_EQ(sizes.size(), 1u) << "the write in progress has no named temp";
    EXPECT_GT(sizes.front(), 0u);
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
    EXPECT_EQ(WTERMSIG(status), sig);
    EXPECT_TRUE(named_file_sizes(temp_area).empty()) << "signal " << sig;
  }
}

TEST(TempFilesTest, PutFdStoresWhatAPipeGivesThroughAnAnonymousTemp) {
  test::TempDir tmp;
  StoreOptions options;
  auto watching = std::make_shared<WatchingFs>(tmp / "store" / ".cas-tmp");
  options.file_system = watching;
  Store store(tmp / "store", options);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const std::string content = big_content();
  std::thread writer([&] {
    for (std::size_t done = 0; done < content.size();) {
      const ssize_t n = ::write(pipe_fds[1], content.data() + done, content.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(pipe_fds[1]);
  });
  const std::string hash = store.put_fd(pipe_fds[0]);
  writer.join();
  ::close(pipe_fds[0]);
  EXPECT_EQ(hash, hash_bytes(content, HashAlgorithm::sha256));
  EXPECT_EQ(test::read_file(*store.lookup(hash)), content);
  EXPECT_EQ(watching->named_bytes_seen, 0u);
  EXPECT_TRUE(named_file_sizes(tmp / "store" / ".cas-tmp").empty());
}

TEST(TempFilesTest, StatsCountTempFilesAndTheirBytes) {
  test::TempDir tmp;
  Store store(tmp / "store");
  test::write_file(tmp / "a", "content");
  store.put(tmp / "a");
  test::write_file(tmp / "store" / ".cas-tmp" / "tmp-1-2-3", std::string(1000, 'x'));
  test::write_file(tmp / "store" / ".cas-tmp" / "tmp-4-5-6", std::string(24, 'y'));
  const StoreStats s = stats(store);
  EXPECT_EQ(s.temp_files, 2u);
  EXPECT_EQ(s.temp_bytes, 1024u);
  EXPECT_EQ(s.hashes, 1u);
}

}  // namespace
}  // namespace cas
