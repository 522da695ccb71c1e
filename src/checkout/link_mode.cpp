// The names of LinkMode and CheckoutAction, and CheckoutResult's counting (checkout.hpp).
#include <string>
#include <string_view>

#include "cas/checkout.hpp"
#include "cas/errors.hpp"

namespace cas {

std::string_view to_string(LinkMode mode) noexcept {
  switch (mode) {
    case LinkMode::auto_:
      return "auto";
    case LinkMode::reflink:
      return "reflink";
    case LinkMode::hardlink:
      return "hardlink";
    case LinkMode::copy:
      return "copy";
    case LinkMode::symlink:
      return "symlink";
  }
  return "?";
}

LinkMode parse_link_mode(std::string_view name) {
  for (LinkMode m : {LinkMode::auto_, LinkMode::reflink, LinkMode::hardlink, LinkMode::copy,
                     LinkMode::symlink}) {
    if (to_string(m) == name) return m;
  }
  throw InvalidArgumentError("link mode '" + std::string(name) +
                             "': not auto, reflink, hardlink, copy or symlink");
}

std::string_view to_string(CheckoutAction action) noexcept {
  switch (action) {
    case CheckoutAction::reflinked:
      return "reflinked";
    case CheckoutAction::hardlinked:
      return "hardlinked";
    case CheckoutAction::copied:
      return "copied";
    case CheckoutAction::symlinked:
      return "symlinked";
    case CheckoutAction::already_there:
      return "already_there";
  }
  return "?";
}

void CheckoutResult::count(CheckoutAction action, std::uint64_t size) {
  switch (action) {
    case CheckoutAction::reflinked:
      ++reflinked;
      break;
    case CheckoutAction::hardlinked:
      ++hardlinked;
      break;
    case CheckoutAction::copied:
      ++copied;
      break;
    case CheckoutAction::symlinked:
      ++symlinked;
      break;
    case CheckoutAction::already_there:
      ++already_there;
      return;
  }
  bytes += size;
}

}  // namespace cas
