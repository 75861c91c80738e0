// A measurement cache on disk for sub-networks of one trained super-network: a CSV file with one line
// per measurement (the canonical configuration's genes, error, latency, MACs, parameters and the
// latency's batch size and thread count), appended and flushed as each measurement is made, so a
// killed study loses nothing and a resumed or repeated one measures nothing twice. Two comment lines
// name the super-network and the measurement context (settings, weights checksum, validation set);
// a cache written for another one is refused, naming the file and both descriptions. A line that does
// not parse is an io_error naming the file and the line. Thread-safe. (A measured sub-network is the
// expensive unit of LINAS, Cummings et al. 2022, sec. 3; its measurements are worth keeping.)
// Example:
//   nas::measurement_cache cache("measured.csv", net, "calibration 20 batches ...");
//   if (auto m = cache.find(config, true, 1, 1)) ...; else cache.insert(config, nas::measure(...));
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "moo/core/describe.hpp"
#include "moo/core/error.hpp"
#include "moo/genome/integer.hpp"
#include "moo/io/file.hpp"
#include "nas/supernet/measure.hpp"
#include "nas/supernet/supernet.hpp"

namespace nas {

inline constexpr std::string_view measurement_cache_magic = "# moo-nas supernet measurement cache, version 1";

class measurement_cache {
 public:
  // Opens the cache at path for net's sub-networks measured in `context` (everything else that changes a
  // measurement: settings, weights, validation data), loading its lines; creates the file if it does not
  // exist. An empty path keeps the measurements in memory only. Throws io_error naming the file for a
  // foreign or malformed file.
  measurement_cache(std::filesystem::path path, const supernet& net, std::string context)
      : path_(std::move(path)), net_(&net), context_(std::move(context)) {
    if (context_.find('\n') != std::string::npos) throw moo::value_error("measurement_cache: the context has a newline");
    if (path_.empty()) return;
    std::error_code ec;
    if (std::filesystem::exists(path_, ec) && std::filesystem::file_size(path_, ec) > 0)
      load();
    else
      write_header();
  }

  const std::filesystem::path& path() const { return path_; }

  // The measurement of the canonical configuration `config`, if cached. With `latency`, only one whose
  // latency was measured at this batch size and thread count counts.
  std::optional<measurement> find(const moo::integer_genome& config, bool latency, std::size_t batch,
                                  std::size_t threads) const {
    std::lock_guard lock(m_);
    const auto it = entries_.find(config);
    if (it == entries_.end()) return std::nullopt;
    for (auto e = it->second.rbegin(); e != it->second.rend(); ++e)
      if (!latency || (!std::isnan(e->latency) && e->latency_batch == batch && e->latency_threads == threads)) return *e;
    return std::nullopt;
  }

  // Records a measurement of the canonical configuration `config` and appends its line to the file
  // (flushed before returning).
  void insert(const moo::integer_genome& config, const measurement& m) {
    if (net_->canonical(config) != config)
      throw moo::value_error(moo::detail::message("measurement_cache: configuration ", moo::detail::describe(config),
                                                  " is not canonical"));
    std::string line;
    for (long g : config) line += moo::detail::message(g, ",");
    moo::detail::append_exact(line, m.error);
    line += ",";
    if (!std::isnan(m.latency)) moo::detail::append_exact(line, m.latency);
    line += moo::detail::message(",", m.macs, ",", m.params, ",", m.latency_batch, ",", m.latency_threads, "\n");
    std::lock_guard lock(m_);
    append(line);
    entries_[config].push_back(m);
    ++size_;
  }

  // Number of lines (measurements) held.
  std::size_t size() const {
    std::lock_guard lock(m_);
    return size_;
  }

 private:
  std::string column_header() const {
    std::string h;
    for (const auto& n : net_->gene_names()) h += n + ",";
    return h + "error,latency,macs,params,latency_batch,latency_threads";
  }

  void write_header() {
    append(moo::detail::message(measurement_cache_magic, "\n# supernet: ", net_->description(), "\n# measure: ", context_,
                                "\n", column_header(), "\n"));
  }

  void append(const std::string& text) {
    if (path_.empty()) return;
    std::ofstream os(path_, std::ios::binary | std::ios::app);
    os << text;
    os.flush();
    if (!os) throw moo::io_error(moo::detail::message("measurement cache '", path_.string(), "': cannot append"));
  }

  [[noreturn]] void fail(std::size_t line, const std::string& what) const {
    throw moo::io_error(moo::detail::message("measurement cache '", path_.string(), "' line ", line, ": ", what));
  }

  void load() {
    const std::string text = moo::io::read_file(path_);
    std::vector<std::string_view> lines;
    for (std::size_t p = 0; p < text.size();) {
      const std::size_t e = text.find('\n', p);
      lines.push_back(std::string_view(text).substr(p, (e == std::string::npos ? text.size() : e) - p));
      p = e == std::string::npos ? text.size() : e + 1;
    }
    const std::string supernet_line = "# supernet: " + net_->description();
    const std::string measure_line = "# measure: " + context_;
    if (lines.empty() || lines[0] != measurement_cache_magic) fail(1, "not a supernet measurement cache");
    if (lines.size() < 2 || lines[1] != supernet_line)
      fail(2, moo::detail::message("written for another super-network: '", lines.size() < 2 ? "" : lines[1],
                                   "', this one is '", supernet_line, "'"));
    if (lines.size() < 3 || lines[2] != measure_line)
      fail(3, moo::detail::message("written for other measurements: '", lines.size() < 3 ? "" : lines[2],
                                   "', these are '", measure_line, "'"));
    if (lines.size() < 4 || lines[3] != column_header())
      fail(4, moo::detail::message("the columns are not '", column_header(), "'"));
    const bool open_end = text.back() != '\n';  // the last line has no newline: perhaps an interrupted append
    for (std::size_t i = 4; i < lines.size(); ++i) {
      if (open_end && i + 1 == lines.size()) {
        try {
          parse(i + 1, lines[i]);
        } catch (const moo::io_error&) {
          // A line cut off by a kill while it was appended: it was never a whole measurement. Drop it from
          // the file (everything before it was read) so the next insert starts a clean line.
          std::filesystem::resize_file(path_, static_cast<std::uintmax_t>(lines[i].data() - text.data()));
          return;
        }
      } else {
        parse(i + 1, lines[i]);
      }
    }
    if (open_end) append("\n");  // a whole last line without its newline: the next insert starts a line
  }

  void parse(std::size_t line_no, std::string_view line) {
    std::vector<std::string_view> f;
    for (std::size_t p = 0;;) {
      const std::size_t e = line.find(',', p);
      f.push_back(line.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p));
      if (e == std::string_view::npos) break;
      p = e + 1;
    }
    const std::size_t genes = net_->genes();
    if (f.size() != genes + 6)
      fail(line_no, moo::detail::message(f.size(), " fields, expected ", genes + 6, ": '", line, "'"));
    auto number = [&](std::string_view s, auto& v, const char* what) {
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size())
        fail(line_no, moo::detail::message(what, " '", s, "' is not a number"));
    };
    moo::integer_genome config(genes);
    for (std::size_t i = 0; i < genes; ++i) number(f[i], config[i], "gene");
    try {
      if (net_->canonical(config) != config) fail(line_no, "the configuration is not canonical");
    } catch (const moo::io_error&) {
      throw;
    } catch (const moo::error& e) {
      fail(line_no, e.what());
    }
    measurement m;
    number(f[genes], m.error, "error");
    if (f[genes + 1].empty())
      m.latency = std::numeric_limits<double>::quiet_NaN();
    else
      number(f[genes + 1], m.latency, "latency");
    number(f[genes + 2], m.macs, "macs");
    number(f[genes + 3], m.params, "params");
    number(f[genes + 4], m.latency_batch, "latency_batch");
    number(f[genes + 5], m.latency_threads, "latency_threads");
    if (!std::isfinite(m.error) || (!std::isnan(m.latency) && !std::isfinite(m.latency)))
      fail(line_no, "error or latency is not finite");
    entries_[config].push_back(m);
    ++size_;
  }

  std::filesystem::path path_;
  const supernet* net_;
  std::string context_;
  mutable std::mutex m_;
  std::map<moo::integer_genome, std::vector<measurement>> entries_;
  std::size_t size_ = 0;
};

}  // namespace nas
