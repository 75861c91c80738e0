// Evaluates a batch over MPI ranks (link moo::mpi): rank 0 drives the search and hands out chunks of
// genomes to the other ranks as they become free; the workers evaluate and send the objectives back.
// Genomes that are vectors of numbers travel as doubles (integers exactly up to 2^53); other genome
// types through moo::io::serializer. Results are identical to the sequential executor's. Example:
//   moo::mpi_environment env(argc, argv);
//   moo::mpi_executor ex;
//   if (ex.is_root()) {
//     auto res = moo::nsga2{{.population = 100, .seed = 1}}.run_on(ex, moo::zdt1{});
//     ex.stop_workers();
//   } else {
//     ex.serve(moo::zdt1{});  // returns when rank 0 calls stop_workers() (or its executor is destroyed)
//   }
#pragma once

#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1  // the C API is enough; skip the deprecated C++ bindings
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/describe.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/execution/sequential.hpp"
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

enum mpi_tag : int { tag_work = 1, tag_stop = 2, tag_result = 3, tag_failure = 4 };

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
    std::size_t chunk = 0;  // genomes per message; 0 = batch size / (4 * workers), at least 1
  };

  // Over MPI_COMM_WORLD with automatic chunks.
  mpi_executor() : mpi_executor(options{}) {}

  explicit mpi_executor(options o, MPI_Comm comm = MPI_COMM_WORLD) : opts_(o), comm_(comm) {
    detail::mpi_check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::mpi_check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  mpi_executor(const mpi_executor&) = delete;
  mpi_executor& operator=(const mpi_executor&) = delete;
  // On rank 0, sends the workers' stop unless stop_workers() was called after the last evaluate() (so
  // workers are released even if rank 0 fails before evaluating). Use one executor per communicator.
  ~mpi_executor() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && is_root()) try {
        stop_workers();
      } catch (const error&) {
      }
  }

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }

  // On rank 0: evaluates the batch on the workers (on rank 0 itself when it is alone); one row per
  // genome, in order; throws evaluation_error naming each failed genome and keeping the other results.
  template <problem P>
  matrix evaluate(const P& p, std::span<const genome_of<P>> genomes) {
    if (!is_root())
      throw error(detail::message("mpi_executor::evaluate called on rank ", rank_,
                                  "; only rank 0 drives the search, the other ranks call serve()"));
    if (size_ == 1) return sequential_executor{}.evaluate(p, genomes);
    check_representable(genomes);
    serving_ = true;
    const std::size_t n = genomes.size();
    const std::size_t m = p.num_objectives();
    matrix out(n, m);
    const std::size_t workers = static_cast<std::size_t>(size_ - 1);
    const std::size_t chunk = opts_.chunk ? opts_.chunk : std::max<std::size_t>(1, n / (4 * workers));
    std::vector<evaluation_error::failure> failures;
    std::size_t next = 0, outstanding = 0;
    auto send_next = [&](int worker) {
      const std::size_t count = std::min(chunk, n - next);
      send_work(genomes.subspan(next, count), next, worker);
      next += count;
      ++outstanding;
    };
    for (int w = 1; w < size_ && next < n; ++w) send_next(w);
    while (outstanding > 0) {
      MPI_Status st;
      detail::mpi_check(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &st), "MPI_Probe");
      if (st.MPI_TAG == detail::tag_failure) {
        const std::string text = receive_chars(st);
        const auto newline = text.find('\n');
        const std::size_t index = std::stoul(text.substr(0, newline));
        if (index >= n) throw mpi_error(detail::message("mpi_executor: a worker reported genome ", index, " of ", n));
        failures.push_back({index, detail::describe(genomes[index]), text.substr(newline + 1)});
      } else if (st.MPI_TAG == detail::tag_result) {
        const auto values = receive_doubles(st);
        const auto first = static_cast<std::size_t>(values.at(0));
        const auto count = static_cast<std::size_t>(values.at(1));
        if (first + count > n || values.size() != 2 + count * m)
          throw mpi_error(detail::message("mpi_executor: malformed result from rank ", st.MPI_SOURCE));
        std::copy(values.begin() + 2, values.end(), out.data() + first * m);
        --outstanding;
        if (next < n) send_next(st.MPI_SOURCE);
      } else {
        throw mpi_error(detail::message("mpi_executor: unexpected message tag ", st.MPI_TAG, " from rank ",
                                        st.MPI_SOURCE));
      }
    }
    std::sort(failures.begin(), failures.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    detail::raise_failures(std::move(failures), std::move(out));
    return out;
  }

  // On a worker rank: evaluates the chunks rank 0 sends until rank 0 calls stop_workers().
  template <problem P>
  void serve(const P& p) {
    if (is_root()) throw error("mpi_executor::serve called on rank 0, which drives the search");
    const std::size_t m = p.num_objectives();
    for (;;) {
      MPI_Status st;
      detail::mpi_check(MPI_Probe(0, MPI_ANY_TAG, comm_, &st), "MPI_Probe");
      if (st.MPI_TAG == detail::tag_stop) {
        detail::mpi_check(MPI_Recv(nullptr, 0, MPI_BYTE, 0, detail::tag_stop, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
        return;
      }
      if (st.MPI_TAG != detail::tag_work)
        throw mpi_error(detail::message("mpi_executor: rank ", rank_, " got unexpected tag ", st.MPI_TAG));
      std::size_t first = 0;
      const auto genomes = receive_work<genome_of<P>>(st, first);
      std::vector<double> result{static_cast<double>(first), static_cast<double>(genomes.size())};
      result.resize(2 + genomes.size() * m);
      for (std::size_t i = 0; i < genomes.size(); ++i) {
        std::span<double> row(result.data() + 2 + i * m, m);
        std::string what;
        try {
          p.evaluate(genomes[i], row);
          continue;
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
          what = "unknown exception";
        }
        std::fill(row.begin(), row.end(), std::numeric_limits<double>::quiet_NaN());
        const std::string text = std::to_string(first + i) + '\n' + what;
        detail::mpi_check(MPI_Send(text.data(), static_cast<int>(text.size()), MPI_BYTE, 0, detail::tag_failure, comm_),
                          "MPI_Send");
      }
      detail::mpi_check(MPI_Send(result.data(), static_cast<int>(result.size()), MPI_DOUBLE, 0, detail::tag_result, comm_),
                        "MPI_Send");
    }
  }

  // On rank 0: tells every worker to return from serve(). A later evaluate() expects them to serve again.
  void stop_workers() {
    if (!is_root() || !serving_) return;
    for (int w = 1; w < size_; ++w)
      detail::mpi_check(MPI_Send(nullptr, 0, MPI_BYTE, w, detail::tag_stop, comm_), "MPI_Send");
    serving_ = false;
  }

 private:
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
      detail::mpi_check(MPI_Send(msg.data(), static_cast<int>(msg.size()), MPI_DOUBLE, worker, detail::tag_work, comm_),
                        "MPI_Send");
    } else {
      static_assert(io::serializable<G>,
                    "mpi_executor sends genomes that are not vectors of numbers through moo::io::serializer; "
                    "specialize it for this genome type");
      std::ostringstream os(std::ios::binary);
      io::write<std::uint64_t>(os, first);
      io::write<std::uint64_t>(os, genomes.size());
      for (const auto& g : genomes) io::write(os, g);
      const std::string bytes = std::move(os).str();
      detail::mpi_check(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, worker, detail::tag_work, comm_),
                        "MPI_Send");
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

  template <class G>
  std::vector<G> receive_work(const MPI_Status& st, std::size_t& first) {
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
    } else {
      const std::string bytes = receive_chars(st);
      std::istringstream is(bytes, std::ios::binary);
      first = static_cast<std::size_t>(io::read<std::uint64_t>(is));
      const auto count = io::read<std::uint64_t>(is);
      for (std::uint64_t i = 0; i < count; ++i) genomes.push_back(io::read<G>(is));
    }
    return genomes;
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
};

}  // namespace moo
