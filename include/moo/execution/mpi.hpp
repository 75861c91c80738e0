// Evaluates a batch over MPI ranks (link moo::mpi): rank 0 drives the search and hands out chunks of
// genomes to the other ranks as they become free; the workers evaluate and send the objectives back.
// Genomes that are vectors of numbers travel as doubles (integers exactly up to 2^53); other genome
// types through moo::io::serializer. For a Lamarckian problem (evaluation changes the genome, e.g.
// trains a network) the workers also send each evaluated genome back, through moo::io::serializer, and
// rank 0 writes it into the batch in place. A byte message longer than MPI's int count (or than
// options.max_message) travels in pieces. Results are identical to the sequential executor's.
// Failures: an evaluation that throws on a worker comes back as evaluation_error (NaN row, the other
// results kept) and the executor goes on. If rank 0 throws while a batch is out (say a genome cannot be
// serialized), it first collects the chunks still in flight, so the next batch starts clean. If a
// worker's serve() itself fails (a genome it cannot read or write back, memory, MPI), the worker tells
// rank 0 and rethrows; rank 0 collects the other chunks in flight, makes the other workers' serve() throw
// mpi_error, and throws mpi_error naming the failed rank: every rank ends with an error, none hangs, and
// the executor is shut down (evaluate() and serve() throw mpi_error). Example:
//   moo::mpi_environment env(argc, argv);
//   moo::mpi_executor ex;
//   if (ex.is_root()) {
//     auto res = moo::nsga2{{.population = 100, .seed = 1}}.run_on(ex, moo::zdt1{});
//     ex.stop_workers();
//   } else {
//     ex.serve(moo::zdt1{});  // returns when rank 0 calls stop_workers() (or its executor is destroyed);
//   }                         // throws mpi_error if a rank failed or rank 0's executor died by an exception
#pragma once

#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1  // the C API is enough; skip the deprecated C++ bindings
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/describe.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/io/file.hpp"
#include "moo/io/serialize.hpp"

namespace moo {

// An MPI call failed; the message names the call and MPI's error string.
class mpi_error : public error {
 public:
  using error::error;
};

namespace detail {

inline void mpi_check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  throw mpi_error(message(call, " failed: ", std::string(text, static_cast<std::size_t>(len))));
}

// A genome that is a vector of numbers (sent as doubles).
template <class G>
concept numeric_vector_genome = requires(G& g, std::size_t n) {
  typename G::value_type;
  g.resize(n);
  g.size();
  g[0];
} && std::is_arithmetic_v<typename G::value_type>;

// tag_evaluated: a Lamarckian result (objectives and evaluated genomes); tag_large: the header
// [length, tag] of a byte message sent as tag_piece messages because it is longer than one may be;
// tag_worker_error: a worker's serve() failed (bytes: its error); tag_abort: rank 0 makes a worker's
// serve() throw (bytes: why).
enum mpi_tag : int {
  tag_work = 1,
  tag_stop = 2,
  tag_result = 3,
  tag_failure = 4,
  tag_evaluated = 5,
  tag_large = 6,
  tag_piece = 7,
  tag_worker_error = 8,
  tag_abort = 9,
  last_tag = tag_abort
};

}  // namespace detail

// MPI_Init on construction and MPI_Finalize on destruction (unless MPI was already initialized).
class mpi_environment {
 public:
  mpi_environment(int& argc, char**& argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      detail::mpi_check(MPI_Init(&argc, &argv), "MPI_Init");
      owner_ = true;
    }
  }
  mpi_environment(const mpi_environment&) = delete;
  mpi_environment& operator=(const mpi_environment&) = delete;
  ~mpi_environment() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owner_ && !finalized) MPI_Finalize();
  }

 private:
  bool owner_ = false;
};

class mpi_executor {
 public:
  struct options {
    std::size_t chunk = 0;        // genomes per message; 0 = batch size / (4 * workers), at least 1
    std::size_t max_message = 0;  // bytes per MPI message, longer ones go in pieces; 0 = INT_MAX (MPI's limit)
  };

  // Over MPI_COMM_WORLD with automatic chunks.
  mpi_executor() : mpi_executor(options{}) {}

  explicit mpi_executor(options o, MPI_Comm comm = MPI_COMM_WORLD) : opts_(o), comm_(comm) {
    detail::mpi_check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::mpi_check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    failed_workers_.assign(static_cast<std::size_t>(size_), 0);
  }
  mpi_executor(const mpi_executor&) = delete;
  mpi_executor& operator=(const mpi_executor&) = delete;
  // On rank 0, releases the workers unless stop_workers() was called after the last evaluate() (so they
  // are released even if rank 0 fails before evaluating): their serve() returns, or, if this executor is
  // destroyed by an exception (rank 0 failed), throws mpi_error. Use one executor per communicator.
  ~mpi_executor() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized || !is_root() || !serving_ || !closed_.empty()) return;
    try {
      if (std::uncaught_exceptions() > uncaught_)
        shut_down("rank 0 failed: its executor was destroyed by an exception");
      else
        stop_workers();
    } catch (...) {
    }
  }

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  // On rank 0: evaluates the batch on the workers (on rank 0 itself when it is alone); one row per
  // genome, in order; throws evaluation_error naming each failed genome and keeping the other results.
  template <plain_problem P>
  matrix evaluate(const P& p, std::span<const genome_of<P>> genomes) {
    require_root();
    require_open();
    if (size_ == 1) return sequential_executor{}.evaluate(p, genomes);
    return distribute(p, genomes, std::span<genome_of<P>>{});
  }

  // Lamarckian, on rank 0: the workers evaluate the genomes in place and send them back changed, and
  // each is written into genomes[i]; a genome whose evaluation failed stays as it was. Rows and errors
  // as above.
  template <lamarckian_problem P>
  matrix evaluate(const P& p, std::span<genome_of<P>> genomes) {
    require_root();
    require_open();
    if (size_ == 1) return sequential_executor{}.evaluate(p, genomes);
    return distribute(p, std::span<const genome_of<P>>(genomes), genomes);
  }

  // On a worker rank: evaluates the chunks rank 0 sends until rank 0 calls stop_workers(). For a
  // Lamarckian problem each evaluated genome goes back with its objectives. Throws mpi_error when rank 0
  // shuts the executor down (another rank failed); if serving itself fails (anything but an evaluation,
  // which is reported per genome), tells rank 0 and rethrows. Either way the executor is then shut down.
  template <problem P>
  void serve(const P& p) {
    if (is_root()) throw error("mpi_executor::serve called on rank 0, which drives the search");
    require_open();
    using G = genome_of<P>;
    static_assert(io::serializable<G> || detail::numeric_vector_genome<G>,
                  "mpi_executor sends genomes that are not vectors of numbers (and evaluated Lamarckian "
                  "genomes) through moo::io::serializer; specialize it for this genome type");
    bool aborted = false;  // rank 0 shut the executor down: nothing to report back
    try {
      while (serve_one(p, aborted)) {
      }
    } catch (...) {
      if (!aborted) {
        report_failure(std::current_exception());
        close("this rank failed in serve()");
      }
      throw;
    }
  }

  // On rank 0: tells every worker to return from serve(). A later evaluate() expects them to serve again.
  // Does nothing once the executor is shut down (the workers have left serve() already).
  void stop_workers() {
    if (!is_root() || !serving_ || !closed_.empty()) return;
    for (int w = 1; w < size_; ++w)
      detail::mpi_check(MPI_Send(nullptr, 0, MPI_BYTE, w, detail::tag_stop, comm_), "MPI_Send");
    serving_ = false;
  }

 private:
  void require_root() const {
    if (!is_root())
      throw error(detail::message("mpi_executor::evaluate called on rank ", rank_,
                                  "; only rank 0 drives the search, the other ranks call serve()"));
  }

  // Throws mpi_error once the executor is shut down.
  void require_open() const {
    if (!closed_.empty()) throw mpi_error(detail::message("mpi_executor: shut down after ", closed_));
  }

  // Marks the executor shut down, `why` being the concatenation of the parts (never throws; the reason is
  // best effort).
  void close(std::string_view why, std::string_view more = {}) noexcept {
    serving_ = false;
    try {
      closed_.assign(why).append(more);
    } catch (...) {
      closed_ = "?";  // fits the small-string buffer: no allocation
    }
    if (closed_.empty()) closed_ = "?";
  }

  // On rank 0: makes every worker that has not failed itself leave serve() with mpi_error saying `why`
  // (best effort, each worker on its own), and shuts the executor down.
  void shut_down(std::string_view why) noexcept {
    for (int w = 1; w < size_; ++w) {
      if (failed_workers_[static_cast<std::size_t>(w)]) continue;
      try {
        send_bytes(why, w, detail::tag_abort);
      } catch (...) {
        static constexpr char unknown[] = "rank 0 failed";
        MPI_Send(unknown, sizeof unknown - 1, MPI_BYTE, w, detail::tag_abort, comm_);
      }
    }
    close(why);
  }

  // On a worker whose serve() failed: tells rank 0 what went wrong (best effort, never throws), so that
  // rank 0 does not wait for this worker's results.
  void report_failure(const std::exception_ptr& e) noexcept {
    try {
      send_bytes(detail::failure_what(e), 0, detail::tag_worker_error);
    } catch (...) {
      static constexpr char unknown[] = "an error that could not be reported";
      MPI_Send(unknown, sizeof unknown - 1, MPI_BYTE, 0, detail::tag_worker_error, comm_);
    }
  }

  // On a worker: receives one message from rank 0 and acts on it; returns false on stop. Throws
  // mpi_error, with `aborted` set, when rank 0 shuts the executor down.
  template <problem P>
  bool serve_one(const P& p, bool& aborted) {
    using G = genome_of<P>;
    MPI_Status st;
    detail::mpi_check(MPI_Probe(0, MPI_ANY_TAG, comm_, &st), "MPI_Probe");
    if (st.MPI_TAG == detail::tag_stop) {
      detail::mpi_check(MPI_Recv(nullptr, 0, MPI_BYTE, 0, detail::tag_stop, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
      return false;
    }
    std::size_t first = 0;
    std::vector<G> genomes;
    if (detail::numeric_vector_genome<G> && st.MPI_TAG == detail::tag_work) {
      genomes = receive_numeric_work<G>(st, first);
    } else if (st.MPI_TAG == detail::tag_work || st.MPI_TAG == detail::tag_large || st.MPI_TAG == detail::tag_abort) {
      std::string bytes;
      const int tag = receive_bytes(st, bytes);
      if (tag == detail::tag_abort) {
        aborted = true;
        close("rank 0 shut the workers down: ", bytes);
        throw mpi_error(detail::message("mpi_executor: rank 0 shut the workers down: ", bytes));
      }
      if (tag != detail::tag_work || detail::numeric_vector_genome<G>)
        throw mpi_error(detail::message("mpi_executor: rank ", rank_, " got unexpected tag ", tag));
      genomes = read_work<G>(bytes, first);
    } else {
      throw mpi_error(detail::message("mpi_executor: rank ", rank_, " got unexpected tag ", st.MPI_TAG));
    }
    if constexpr (lamarckian_problem<P>) {
      send_evaluated(p, genomes, first);
    } else {
      const std::size_t m = p.num_objectives();
      std::vector<double> result{static_cast<double>(first), static_cast<double>(genomes.size())};
      result.resize(2 + genomes.size() * m);
      for (std::size_t i = 0; i < genomes.size(); ++i)
        evaluate_or_report(p, std::as_const(genomes[i]), std::span<double>(result.data() + 2 + i * m, m), first + i);
      send_doubles(result, 0, detail::tag_result);
    }
    return true;
  }

  // Rank 0's view of the workers during one batch: which have a chunk out, and how many chunks are out.
  struct in_flight {
    std::vector<char> busy;
    std::size_t outstanding = 0;
    std::string failed;  // "rank w failed in serve(): ..." for the first worker that reported its failure
    // Worker `w` answered (a result, or its failure): its chunk is no longer out.
    void answered(int w) {
      auto& b = busy[static_cast<std::size_t>(w)];
      if (b) --outstanding;
      b = 0;
    }
  };

  // Hands the batch out in chunks and gathers the results. `evaluated` is empty for a plain problem;
  // for a Lamarckian one it is the batch itself (`genomes` views it), where evaluated genomes are written.
  // On any exception, first collects the chunks still in flight (nothing stale is left for the next
  // batch); if a worker failed, shuts the executor down.
  template <problem P, class G>
  matrix distribute(const P& p, std::span<const G> genomes, std::span<G> evaluated) {
    check_representable(genomes);
    serving_ = true;
    in_flight out;
    out.busy.assign(static_cast<std::size_t>(size_), 0);
    try {
      return hand_out(p, genomes, evaluated, out);
    } catch (...) {
      settle(out);
      throw;
    }
  }

  template <problem P, class G>
  matrix hand_out(const P& p, std::span<const G> genomes, std::span<G> evaluated, in_flight& flight) {
    constexpr bool lamarckian = lamarckian_problem<P>;
    const std::size_t n = genomes.size();
    const std::size_t m = p.num_objectives();
    matrix out(n, m);
    const std::size_t workers = static_cast<std::size_t>(size_ - 1);
    const std::size_t chunk = opts_.chunk ? opts_.chunk : std::max<std::size_t>(1, n / (4 * workers));
    std::vector<evaluation_error::failure> failures;
    std::size_t next = 0;
    auto send_next = [&](int worker) {
      const std::size_t count = std::min(chunk, n - next);
      send_work(genomes.subspan(next, count), next, worker);
      next += count;
      flight.busy[static_cast<std::size_t>(worker)] = 1;
      ++flight.outstanding;
    };
    auto unexpected = [](int tag, int source) {
      return mpi_error(detail::message("mpi_executor: unexpected message tag ", tag, " from rank ", source));
    };
    for (int w = 1; w < size_ && next < n; ++w) send_next(w);
    while (flight.outstanding > 0) {
      MPI_Status st;
      detail::mpi_check(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &st), "MPI_Probe");
      const int source = st.MPI_SOURCE;
      if (st.MPI_TAG == detail::tag_result && !lamarckian) {
        const auto values = receive_doubles(st);
        flight.answered(source);
        const auto first = static_cast<std::size_t>(values.at(0));
        const auto count = static_cast<std::size_t>(values.at(1));
        if (first + count > n || values.size() != 2 + count * m)
          throw mpi_error(detail::message("mpi_executor: malformed result from rank ", source));
        std::copy(values.begin() + 2, values.end(), out.data() + first * m);
      } else if (st.MPI_TAG == detail::tag_failure || st.MPI_TAG == detail::tag_large ||
                 st.MPI_TAG == detail::tag_worker_error || (st.MPI_TAG == detail::tag_evaluated && lamarckian)) {
        std::string bytes;
        const int tag = receive_bytes(st, bytes);
        if (tag == detail::tag_failure) {  // one genome's evaluation failed; the chunk's result follows
          const auto newline = bytes.find('\n');
          const std::size_t index = std::stoul(bytes.substr(0, newline));
          if (index >= n)
            throw mpi_error(detail::message("mpi_executor: a worker reported genome ", index, " of ", n));
          failures.push_back(detail::make_failure(index, genomes[index], bytes.substr(newline + 1)));
          continue;
        }
        flight.answered(source);
        if (tag == detail::tag_worker_error) {
          failed_workers_[static_cast<std::size_t>(source)] = 1;
          flight.failed = detail::message("rank ", source, " failed in serve(): ", bytes);
          throw mpi_error("mpi_executor: " + flight.failed);
        }
        if constexpr (lamarckian) {
          if (tag != detail::tag_evaluated) throw unexpected(tag, source);
          take_evaluated(bytes, source, out, evaluated);
        } else {
          throw unexpected(tag, source);
        }
      } else {
        throw unexpected(st.MPI_TAG, source);  // left in the queue; settle() receives and drops it
      }
      if (next < n) send_next(source);
    }
    std::sort(failures.begin(), failures.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    detail::raise_failures(std::move(failures), std::move(out));
    return out;
  }

  // On rank 0, after an exception during a batch: receives and drops every message until no chunk is out
  // (the workers finish what they hold); then, if a worker has failed (now or earlier in this batch),
  // shuts the executor down so that the others leave serve() too. Never throws; if collecting fails, the
  // executor is shut down as well.
  void settle(in_flight& flight) noexcept {
    try {
      while (flight.outstanding > 0) {
        MPI_Status st;
        detail::mpi_check(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &st), "MPI_Probe");
        int tag = st.MPI_TAG;
        std::string bytes;
        if (tag == detail::tag_result) receive_doubles(st);
        else tag = receive_bytes(st, bytes);
        if (tag == detail::tag_worker_error) {
          failed_workers_[static_cast<std::size_t>(st.MPI_SOURCE)] = 1;
          if (flight.failed.empty())
            flight.failed = detail::message("rank ", st.MPI_SOURCE, " failed in serve(): ", bytes);
        }
        if (tag == detail::tag_result || tag == detail::tag_evaluated || tag == detail::tag_worker_error)
          flight.answered(st.MPI_SOURCE);
      }
    } catch (...) {
      shut_down("rank 0 could not collect the chunks in flight after an error");
      return;
    }
    if (!flight.failed.empty()) shut_down(flight.failed);
    else if (std::find(failed_workers_.begin(), failed_workers_.end(), 1) != failed_workers_.end())
      shut_down("a worker failed");
  }

  // On a worker: evaluates one genome into `row`; on failure (the row is then NaN) sends rank 0 the
  // failure of genome `index` and returns false.
  template <class P, class G>
  bool evaluate_or_report(const P& p, G& x, std::span<double> row, std::size_t index) {
    const std::exception_ptr e = detail::evaluate_one(p, x, row);
    if (!e) return true;
    send_bytes(std::to_string(index) + '\n' + detail::failure_what(e), 0, detail::tag_failure);
    return false;
  }

  // On a worker, Lamarckian: evaluates the chunk in place and sends one byte message [first, count,
  // count x m objectives, then per genome a flag and, if it was evaluated, the genome]; failed genomes
  // are not sent back (rank 0 keeps them as they were).
  template <class P, class G>
  void send_evaluated(const P& p, std::vector<G>& genomes, std::size_t first) {
    const std::size_t m = p.num_objectives();
    std::vector<double> rows(genomes.size() * m);
    std::vector<char> ok(genomes.size(), 0);
    for (std::size_t i = 0; i < genomes.size(); ++i)
      ok[i] = evaluate_or_report(p, genomes[i], std::span<double>(rows.data() + i * m, m), first + i) ? 1 : 0;
    std::ostringstream os(std::ios::binary);
    io::write<std::uint64_t>(os, first);
    io::write<std::uint64_t>(os, genomes.size());
    for (const double v : rows) io::write(os, v);
    for (std::size_t i = 0; i < genomes.size(); ++i) {
      io::write(os, ok[i] != 0);
      if (ok[i]) write_genome(os, genomes[i]);
    }
    send_bytes(std::move(os).str(), 0, detail::tag_evaluated);  // the buffer is moved out, not copied
  }

  // On rank 0: reads a Lamarckian result into `out` and writes the evaluated genomes into `genomes`.
  template <class G>
  static void take_evaluated(std::string_view bytes, int source, matrix& out, std::span<G> genomes) {
    const std::size_t n = genomes.size(), m = out.cols();
    try {
      io::detail::view_istream is(bytes);
      const auto first = io::read<std::uint64_t>(is);
      const auto count = io::read<std::uint64_t>(is);
      if (first > n || count > n - first)
        throw io_error(detail::message("genomes ", first, " to ", first + count, " of a batch of ", n));
      for (std::size_t k = 0; k < count * m; ++k) out.data()[first * m + k] = io::read<double>(is);
      for (std::size_t i = 0; i < count; ++i)
        if (io::read<bool>(is)) genomes[first + i] = read_genome<G>(is);
      if (is.peek() != std::char_traits<char>::eof()) throw io_error("bytes are left over after the last genome");
    } catch (const error& e) {
      throw mpi_error(detail::message("mpi_executor: malformed result from rank ", source, ": ", e.what()));
    }
  }

  // An evaluated genome: through io::serializer when there is one (exact for vectors of numbers too),
  // otherwise a vector of numbers as its length and doubles.
  template <class G>
  static void write_genome(std::ostream& os, const G& g) {
    if constexpr (io::serializable<G>) {
      io::write(os, g);
    } else {
      io::write<std::uint64_t>(os, g.size());
      for (std::size_t j = 0; j < g.size(); ++j) io::write(os, static_cast<double>(g[j]));
    }
  }

  template <class G>
  static G read_genome(std::istream& is) {
    if constexpr (io::serializable<G>) {
      return io::read<G>(is);
    } else {
      const auto len = io::detail::read_size(is, "an evaluated genome's length");
      G g;
      g.resize(len);
      for (std::size_t j = 0; j < len; ++j) g[j] = static_cast<typename G::value_type>(io::read<double>(is));
      return g;
    }
  }

  // Work message: numeric genomes as doubles [first, count, (length, values...)...]; other genomes as
  // bytes [first, count, serialized genomes...] (u64 little-endian header).
  template <class G>
  void send_work(std::span<const G> genomes, std::size_t first, int worker) {
    if constexpr (detail::numeric_vector_genome<G>) {
      std::vector<double> msg{static_cast<double>(first), static_cast<double>(genomes.size())};
      for (const auto& g : genomes) {
        msg.push_back(static_cast<double>(g.size()));
        for (std::size_t j = 0; j < g.size(); ++j) msg.push_back(static_cast<double>(g[j]));
      }
      send_doubles(msg, worker, detail::tag_work);
    } else {
      static_assert(io::serializable<G>,
                    "mpi_executor sends genomes that are not vectors of numbers through moo::io::serializer; "
                    "specialize it for this genome type");
      std::ostringstream os(std::ios::binary);
      io::write<std::uint64_t>(os, first);
      io::write<std::uint64_t>(os, genomes.size());
      for (const auto& g : genomes) io::write(os, g);
      send_bytes(std::move(os).str(), worker, detail::tag_work);
    }
  }

  // Throws value_error, before anything is sent, if an integer gene would not survive the trip as a double.
  template <class G>
  static void check_representable(std::span<const G> genomes) {
    if constexpr (detail::numeric_vector_genome<G>) {
      using T = typename G::value_type;
      // Compared as integers: a double comparison would round 2^53 + 1 down and let it through.
      if constexpr (std::is_integral_v<T> && std::numeric_limits<T>::digits > 53)
        for (std::size_t i = 0; i < genomes.size(); ++i)
          for (std::size_t j = 0; j < genomes[i].size(); ++j)
            if (const T v = genomes[i][j];
                v > (T{1} << 53) || (std::is_signed_v<T> && v < -(T{1} << 53)))
              throw value_error(detail::message("mpi_executor: gene ", j, " = ", genomes[i][j], " of genome ", i,
                                                " is not exactly representable as a double"));
    }
  }

  // A work message of numeric genomes (doubles).
  template <class G>
  std::vector<G> receive_numeric_work(const MPI_Status& st, std::size_t& first) {
    std::vector<G> genomes;
    if constexpr (detail::numeric_vector_genome<G>) {
      const auto msg = receive_doubles(st);
      first = static_cast<std::size_t>(msg.at(0));
      const auto count = static_cast<std::size_t>(msg.at(1));
      std::size_t pos = 2;
      for (std::size_t i = 0; i < count; ++i) {
        const auto len = static_cast<std::size_t>(msg.at(pos++));
        if (pos + len > msg.size()) throw mpi_error("mpi_executor: malformed work message");
        G g;
        g.resize(len);
        for (std::size_t j = 0; j < len; ++j) g[j] = static_cast<typename G::value_type>(msg[pos + j]);
        pos += len;
        genomes.push_back(std::move(g));
      }
    }
    return genomes;
  }

  // A work message of serialized genomes.
  template <class G>
  static std::vector<G> read_work(std::string_view bytes, std::size_t& first) {
    std::vector<G> genomes;
    if constexpr (io::serializable<G>) {
      io::detail::view_istream is(bytes);
      first = static_cast<std::size_t>(io::read<std::uint64_t>(is));
      const auto count = io::read<std::uint64_t>(is);
      for (std::uint64_t i = 0; i < count; ++i) genomes.push_back(io::read<G>(is));
    }
    return genomes;
  }

  // The largest MPI message in bytes (MPI counts are int).
  std::size_t max_message() const {
    constexpr auto int_max = static_cast<std::size_t>(INT_MAX);
    return opts_.max_message == 0 || opts_.max_message > int_max ? int_max : opts_.max_message;
  }

  // Sends doubles as one message; refuses, before sending, more than MPI's int count can hold.
  void send_doubles(const std::vector<double>& v, int dest, int tag) {
    if (v.size() > static_cast<std::size_t>(INT_MAX))
      throw mpi_error(detail::message("mpi_executor: a message of ", v.size(), " doubles exceeds MPI's count limit of ",
                                      INT_MAX, "; use a smaller options.chunk"));
    detail::mpi_check(MPI_Send(v.data(), static_cast<int>(v.size()), MPI_DOUBLE, dest, tag, comm_), "MPI_Send");
  }

  // Sends bytes as one MPI_BYTE message with `tag`, or, when longer than max_message(), as a tag_large
  // header [length, tag] followed by tag_piece messages of at most max_message() bytes each.
  void send_bytes(std::string_view bytes, int dest, int tag) {
    const std::size_t limit = max_message();
    if (bytes.size() <= limit) {
      detail::mpi_check(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dest, tag, comm_), "MPI_Send");
      return;
    }
    const std::uint64_t header[2] = {bytes.size(), static_cast<std::uint64_t>(tag)};
    detail::mpi_check(MPI_Send(header, 2, MPI_UINT64_T, dest, detail::tag_large, comm_), "MPI_Send");
    for (std::size_t at = 0; at < bytes.size(); at += limit) {
      const std::size_t piece = std::min(limit, bytes.size() - at);
      detail::mpi_check(MPI_Send(bytes.data() + at, static_cast<int>(piece), MPI_BYTE, dest, detail::tag_piece, comm_),
                        "MPI_Send");
    }
  }

  // Receives the byte message a probe found into `bytes` (gathering the pieces after a tag_large
  // header, which arrive in order from the same rank) and returns its tag.
  int receive_bytes(const MPI_Status& st, std::string& bytes) {
    if (st.MPI_TAG != detail::tag_large) {
      bytes = receive_chars(st);
      return st.MPI_TAG;
    }
    std::uint64_t header[2] = {0, 0};
    detail::mpi_check(MPI_Recv(header, 2, MPI_UINT64_T, st.MPI_SOURCE, detail::tag_large, comm_, MPI_STATUS_IGNORE),
                      "MPI_Recv");
    if (header[1] > static_cast<std::uint64_t>(detail::last_tag) || header[0] > bytes.max_size())
      throw mpi_error(detail::message("mpi_executor: malformed large message header [", header[0], ", ", header[1],
                                      "] from rank ", st.MPI_SOURCE));
    bytes.resize(static_cast<std::size_t>(header[0]));
    for (std::size_t at = 0; at < bytes.size();) {
      MPI_Status piece;
      detail::mpi_check(MPI_Probe(st.MPI_SOURCE, detail::tag_piece, comm_, &piece), "MPI_Probe");
      int count = 0;
      detail::mpi_check(MPI_Get_count(&piece, MPI_BYTE, &count), "MPI_Get_count");
      if (count <= 0 || static_cast<std::size_t>(count) > bytes.size() - at)
        throw mpi_error(detail::message("mpi_executor: a piece of ", count, " bytes from rank ", st.MPI_SOURCE,
                                        " overruns its message of ", bytes.size(), " bytes at byte ", at));
      detail::mpi_check(
          MPI_Recv(bytes.data() + at, count, MPI_BYTE, st.MPI_SOURCE, detail::tag_piece, comm_, MPI_STATUS_IGNORE),
          "MPI_Recv");
      at += static_cast<std::size_t>(count);
    }
    return static_cast<int>(header[1]);
  }

  std::vector<double> receive_doubles(const MPI_Status& st) {
    int count = 0;
    detail::mpi_check(MPI_Get_count(&st, MPI_DOUBLE, &count), "MPI_Get_count");
    std::vector<double> v(static_cast<std::size_t>(count));
    detail::mpi_check(MPI_Recv(v.data(), count, MPI_DOUBLE, st.MPI_SOURCE, st.MPI_TAG, comm_, MPI_STATUS_IGNORE),
                      "MPI_Recv");
    return v;
  }

  // Receives a MPI_BYTE message as a string.
  std::string receive_chars(const MPI_Status& st) {
    int count = 0;
    detail::mpi_check(MPI_Get_count(&st, MPI_BYTE, &count), "MPI_Get_count");
    std::string s(static_cast<std::size_t>(count), '\0');
    detail::mpi_check(MPI_Recv(s.data(), count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, comm_, MPI_STATUS_IGNORE),
                      "MPI_Recv");
    return s;
  }

  options opts_;
  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
  bool serving_ = true;
  std::string closed_;                  // why the executor was shut down; empty while it works
  std::vector<char> failed_workers_;    // on rank 0: workers whose serve() failed
  int uncaught_ = std::uncaught_exceptions();  // exceptions in flight when this executor was made
};

}  // namespace moo
