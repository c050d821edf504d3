#pragma once
// The ids of the jobs made from one job (`explode`'s pieces, an `exec` program's output lines):
// piece i of job j is j * 2^20 + i, so `{id}` >> 20 names the job it came from and ids stay
// ascending.

#include <cstdint>
#include <string>

namespace flowpool::detail {

/// Hands out the ids of job @p job's pieces, in order.
/// @code
/// if (auto why = PieceIds::problem(id); !why.empty()) throw std::invalid_argument(why);
/// PieceIds pieces(id);
/// while (more && !pieces.full()) out.ids.push_back(pieces.next());
/// @endcode
class PieceIds {
public:
    /// Bits of a piece's id that number it within its job.
    static constexpr int bits = 20;

    /// The largest job id that may have pieces, 2^44 - 2: from 2^44 on, its pieces' ids would
    /// wrap past 2^64 and repeat others (three explodes in a row reach it from the 17th line, id
    /// 16), and the last piece of 2^44 - 1 would be 2^64 - 1, JobError::no_job.
    static constexpr std::uint64_t last_job = (std::uint64_t{1} << (64 - bits)) - 2;

    /// Why job @p job can have no pieces, or "".
    static std::string problem(std::uint64_t job) {
        if (job <= last_job) return {};
        return "job id " + std::to_string(job) +
               " is 2^44 - 1 or more: its pieces cannot be numbered id * 2^20 + i (pieces of "
               "pieces of pieces run out of id bits)";
    }

    /// The ids of job @p job's pieces: meaningful only if it has no problem().
    explicit PieceIds(std::uint64_t job) noexcept : first_(job << bits) {}

    /// True until the first id is handed out.
    [[nodiscard]] bool none_yet() const noexcept { return made_ == 0; }
    /// True once all 2^20 ids are handed out.
    [[nodiscard]] bool full() const noexcept { return made_ == std::uint64_t{1} << bits; }
    /// The next piece's id; not to be called once full().
    [[nodiscard]] std::uint64_t next() noexcept { return first_ + made_++; }

private:
    std::uint64_t first_;
    std::uint64_t made_ = 0;
};

}  // namespace flowpool::detail
