#pragma once
// What all nodes of one run share (RunState) is declared in <flowpool/detail/plan.hpp>, beside
// the BatchContext that reports to it, so that code outside the runtime (the hand-rolled pool of
// `flowpool bench`) can run bodies too; its members are defined in run_state.cpp.

#include <flowpool/detail/plan.hpp>
