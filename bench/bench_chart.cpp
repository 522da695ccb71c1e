// write_chart (bench_report.hpp): gnuplot draws one panel per operation.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "bench_report.hpp"

namespace cas::bench {
namespace {

// chart.dat: one block per operation (gnuplot's `index`), a row per size, and per layout two
// columns, the Store's time and its floor ('?' where not measured), so each line is connected.
std::vector<std::string> write_data(const Results& results, const Layouts& layouts,
                                    const std::string& path) {
  std::ofstream data(path);
  std::vector<std::string> ops;
  for (const auto& op : report_operations()) {
    auto it = results.find(op);
    if (it == results.end()) continue;
    ops.push_back(op);
    auto floors = results.find(op + "_floor");
    data << "# " << op << ": files";
    for (const auto& l : layouts) data << " " << l->name() << " " << l->name() << "-floor";
    data << "\n";
    for (const auto& [size, by_layout] : it->second) {
      data << size;
      for (const auto& l : layouts) {
        const std::string name(l->name());
        auto c = by_layout.find(name);
        data << " " << (c == by_layout.end() ? std::string("?") : std::to_string(c->second.us));
        const Cell* f = nullptr;
        if (floors != results.end() && floors->second.count(size)) {
          auto fl = floors->second.at(size).find(name);
          if (fl != floors->second.at(size).end()) f = &fl->second;
        }
        data << " " << (f ? std::to_string(f->us) : std::string("?"));
      }
      data << "\n";
    }
    data << "\n\n";
  }
  return ops;
}

}  // namespace

bool write_chart(const Results& results, const Layouts& layouts, const std::string& out_dir,
                 const std::string& title) {
  const std::string data_path = out_dir + "/chart.dat";
  const std::string png = out_dir + "/chart.png";
  auto ops = write_data(results, layouts, data_path);
  const std::string script_path = out_dir + "/chart.gp";
  std::ofstream gp(script_path);
  gp << "set terminal pngcairo size 2000," << (ops.size() > 8 ? 1350 : 900)
     << " noenhanced font ',10'\n"
     << "set output '" << png << "'\n"
     << "set datafile missing '?'\n"
     << "set logscale x 10\nset logscale y 10\n"
     << "set xlabel 'files in the store'\nset ylabel 'µs per operation'\n"
     << "set key top left\nset grid\n"
     << "set multiplot layout " << (ops.size() > 8 ? 3 : 2) << ",4 title '" << title
     << " (dashed: the syscall floor)'\n";
  for (std::size_t k = 0; k < ops.size(); ++k) {
    gp << "set title '" << ops[k] << "'\nplot ";
    for (std::size_t i = 0; i < layouts.size(); ++i) {
      gp << (i ? ", " : "") << "'" << data_path << "' index " << k << " using 1:" << 2 * i + 2
         << " with linespoints lw 2 lc " << i + 1 << " title '" << layouts[i]->name() << "', '"
         << data_path << "' index " << k << " using 1:" << 2 * i + 3 << " with lines dt 2 lc "
         << i + 1 << " notitle";
    }
    gp << "\n";
  }
  gp << "unset multiplot\n";
  gp.close();
  std::string cmd = "gnuplot '" + script_path + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return false;
  std::string output;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) output += buf;
  if (::pclose(p) != 0) {
    std::cerr << "cas-bench: gnuplot failed (install gnuplot-nox for the chart): " << output;
    return false;
  }
  return true;
}

}  // namespace cas::bench
