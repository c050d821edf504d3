// PieceIds: the ids of the jobs made from one job (explode's pieces, exec's output lines).

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include "ops/piece_ids.hpp"

namespace {

TEST(PieceIds, NumberAJobsPiecesUpTo2To20AndRefuseJobIdsFrom2To44Less1) {
    using flowpool::detail::PieceIds;
    const std::uint64_t last_fit = (std::uint64_t{1} << 44) - 2;
    EXPECT_EQ(PieceIds::problem(0), "");
    EXPECT_EQ(PieceIds::problem(last_fit), "");
    EXPECT_EQ(
        PieceIds::problem(last_fit + 1),
        "job id 17592186044415 is 2^44 - 1 or more: its pieces cannot be numbered id * 2^20 + "
        "i (pieces of pieces of pieces run out of id bits)");
    PieceIds pieces(last_fit);
    EXPECT_TRUE(pieces.none_yet());
    EXPECT_EQ(pieces.next(), last_fit << 20);
    EXPECT_FALSE(pieces.none_yet());
    std::uint64_t id = 0;
    std::size_t made = 1;
    for (; !pieces.full(); ++made) id = pieces.next();
    EXPECT_EQ(made, std::size_t{1} << 20);
    // The last piece of the last job that fits: 2^64 - 2^20 - 1, below JobError::no_job.
    EXPECT_EQ(id, ~std::uint64_t{0} - (std::uint64_t{1} << 20));
}

}  // namespace
