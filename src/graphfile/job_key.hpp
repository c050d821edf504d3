#pragma once
// `key: EXPR` on a function or filter whose op takes no `key` of its own: the expression that
// splits the node's jobs into lanes (Plan::set_key).

#include <flowpool/body.hpp>

#include <memory>
#include <string_view>

namespace flowpool::detail {

/// The key body of @p expression (already checked by validation): a job goes to lane
/// `hash(KEY) % lanes`; a job whose key cannot be computed fails there, under the node's
/// `on_error`, its message naming the sub-expression.
std::unique_ptr<KeyBody> expression_key(std::string_view expression);

}  // namespace flowpool::detail
