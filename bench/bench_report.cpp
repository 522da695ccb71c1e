#include "bench_report.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cas/errors.hpp"

namespace cas::bench {
namespace {

const std::map<std::string, std::string>& titles() {
  static const std::map<std::string, std::string> t = {
      {"insert", "insert (rename into place, no fsync)"},
      {"insert_fsync", "insert with Durability::file (fsync, then rename)"},
      {"insert_full", "insert with Durability::full (fsync, rename, fsync the directory)"},
      {"insert_batch", "insert with Durability::batch (all inserts, then one Store::flush)"},
      {"remove", "remove (unlink, prune)"},
      {"open_hit", "random open + read + close of a present file"},
      {"open_miss", "random lookup of an absent hash (probes every configured layout)"},
      {"open_hit_cold", "random open + read + close of a present file, page cache dropped"},
      {"open_miss_cold", "random lookup of an absent hash, page cache dropped"}};
  return t;
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

std::string micros(double us) { return fixed(us, us < 100 ? 1 : 0); }

const Cell* find_cell(const Results& r, const std::string& op, std::uint64_t size,
                      std::string_view layout) {
  auto o = r.find(op);
  if (o == r.end()) return nullptr;
  auto s = o->second.find(size);
  if (s == o->second.end()) return nullptr;
  auto l = s->second.find(std::string(layout));
  return l == s->second.end() ? nullptr : &l->second;
}

// The cells of one row of an operation's table, for one layout.
std::string row_cells(const Results& r, const std::string& op, std::uint64_t size,
                      std::string_view layout, bool has_floor, bool has_reads) {
  const Cell* c = find_cell(r, op, size, layout);
  const Cell* f = has_floor ? find_cell(r, op + "_floor", size, layout) : nullptr;
  int columns = 1 + (has_floor ? 2 : 0) + (has_reads ? 1 + has_floor : 0);
  if (!c) {
    std::string s;
    for (int i = 0; i < columns; ++i) s += " skipped |";
    return s;
  }
  auto reads = [](const Cell* x) { return x && x->reads >= 0 ? fixed(x->reads, 2) : "–"; };
  std::string s = " " + micros(c->us);
  if (!has_floor)
    s += " (" + std::to_string(static_cast<std::uint64_t>(1e6 / std::max(c->us, 1e-3))) + ")";
  s += " |";
  if (has_reads) s += " " + reads(c) + " |";
  if (has_floor) {
    s += " " + (f ? micros(f->us) : "–") + " |";
    if (has_reads) s += " " + reads(f) + " |";
    s += " " + (f && f->us > 0 ? fixed(c->us / f->us, 2) + "×" : "–") + " |";
  }
  return s;
}

bool has_any_reads(const std::map<std::uint64_t, std::map<std::string, Cell>>& by_size) {
  for (const auto& [size, by_layout] : by_size) {
    for (const auto& [layout, c] : by_layout) {
      if (c.reads >= 0) return true;
    }
  }
  return false;
}

}  // namespace

const std::vector<std::string>& report_operations() {
  static const std::vector<std::string> ops = {"insert",       "insert_fsync",  "insert_full",
                                               "insert_batch", "remove",        "open_hit",
                                               "open_miss",    "open_hit_cold", "open_miss_cold"};
  return ops;
}

std::string human(std::uint64_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

std::string tables(const Results& results, const Layouts& layouts, bool cold) {
  std::ostringstream out;
  for (const auto& op : report_operations()) {
    auto it = results.find(op);
    if (it == results.end()) continue;
    bool has_floor = results.count(op + "_floor") > 0;
    // Opens count the disk reads they caused (warm ones too: a store larger than the page
    // cache is never warm), where the store is on a block device.
    bool has_reads = op.starts_with("open") && has_any_reads(it->second);
    out << "\n" << titles().at(op) << " — µs per operation";
    if (!has_floor) out << " (operations/s)";
    if (!op.ends_with("_cold")) out << ", " << (cold ? "cold" : "warm") << " cache";
    if (has_reads) out << "; reads: disk reads per operation";
    out << "\n\n| files |";
    std::string rule = "|---:|";
    for (const auto& l : layouts) {
      std::string n(l->name());
      out << " " << n << " |";
      if (has_reads) out << " " << n << " reads |";
      if (has_floor) out << " floor |" << (has_reads ? " floor reads |" : "") << " cas/floor |";
      int columns = 1 + (has_floor ? 2 : 0) + (has_reads ? 1 + has_floor : 0);
      for (int i = 0; i < columns; ++i) rule += "---:|";
    }
    out << "\n" << rule << "\n";
    for (const auto& [size, by_layout] : it->second) {
      out << "| " << human(size) << " |";
      for (const auto& l : layouts)
        out << row_cells(results, op, size, l->name(), has_floor, has_reads);
      out << "\n";
    }
  }
  return out.str();
}

void write_csv(const Results& results, const std::string& path, bool cold) {
  std::ofstream csv(path);
  csv << "layout,files,operation,us_per_op,ops_per_s,ops_measured,cache,reads_per_op\n";
  for (const auto& [op, by_size] : results) {
    for (const auto& [size, by_layout] : by_size) {
      for (const auto& [layout, c] : by_layout) {
        bool cold_op = cold || op.find("_cold") != std::string::npos;
        csv << '"' << layout << "\"," << size << "," << op << "," << c.us << ","
            << 1e6 / std::max(c.us, 1e-3) << "," << c.ops << "," << (cold_op ? "cold" : "warm")
            << "," << (c.reads >= 0 ? fixed(c.reads, 3) : "") << "\n";
      }
    }
  }
  if (!csv) throw_errno(errno, "write", path);
}

}  // namespace cas::bench
