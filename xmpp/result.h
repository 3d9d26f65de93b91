// SPDX-License-Identifier: MIT
// Result<T, E>: a value or an error, for failures the caller is expected to handle (a bad JID, a
// config mistake, a storage miss). GCC 12 has no usable std::expected and Debian 12 no
// tl::expected, so this is the small in-tree subset Tern uses. Core code returns these instead of
// throwing; they are turned into stream or stanza errors at the protocol boundary.
#pragma once

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace tern {

// Wraps an error value so that Result<T, E> can be built from it unambiguously, even when T and E
// are the same type: `return Err(JidError::DomainEmpty);`.
template <class E>
struct Err {
  explicit Err(E e) : error(std::move(e)) {}  // a constructor, so clang 14 can deduce E
  E error;
};
template <class E>
Err(E) -> Err<E>;

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  template <class E2, class = std::enable_if_t<std::is_convertible_v<E2, E>>>
  Result(Err<E2> err) : state_(std::in_place_index<1>, std::move(err.error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Accessing the wrong alternative is a programming error: it aborts, in every build type.
  T& value() & { return checked<0>(); }
  const T& value() const& { return checked<0>(); }
  T&& value() && { return std::move(checked<0>()); }
  const E& error() const { return checked<1>(); }

  T* operator->() { return &checked<0>(); }
  const T* operator->() const { return &checked<0>(); }
  T& operator*() & { return checked<0>(); }
  const T& operator*() const& { return checked<0>(); }

  template <class U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  template <std::size_t I>
  auto& checked() {
    if (state_.index() != I) {
      std::abort();
    }
    return std::get<I>(state_);
  }
  template <std::size_t I>
  const auto& checked() const {
    if (state_.index() != I) {
      std::abort();
    }
    return std::get<I>(state_);
  }

  std::variant<T, E> state_;
};

// Result<void, E>: success carries no value.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <class E2, class = std::enable_if_t<std::is_convertible_v<E2, E>>>
  Result(Err<E2> err) : failed_(true), error_(std::move(err.error)) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const E& error() const {
    if (!failed_) {
      std::abort();
    }
    return error_;
  }

 private:
  bool failed_ = false;
  E error_{};
};

}  // namespace tern
