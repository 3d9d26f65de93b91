// SPDX-License-Identifier: MIT
// Element operations: attribute and child edits, text access, deep copy and tree comparison.
#include "xmpp/element.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "xmpp/names.h"

namespace tern::xmpp {

std::string_view intern_or_copy(Arena& arena, std::string_view text) {
  std::string_view known = names::lookup(text);
  return known.data() != nullptr ? known : arena.copy(text);
}

Element* Element::create(Arena& arena, std::string_view name, std::string_view ns) {
  return arena.make<Element>(arena, intern_or_copy(arena, name), intern_or_copy(arena, ns));
}

const Attribute* Element::find_attr(std::string_view name, std::string_view ns) const {
  for (std::uint32_t i = 0; i < attr_count_; ++i) {
    if (attrs_[i].name == name && attrs_[i].ns == ns) {
      return &attrs_[i];
    }
  }
  return nullptr;
}

Element& Element::set_attr(std::string_view name, std::string_view ns, std::string_view value) {
  for (std::uint32_t i = 0; i < attr_count_; ++i) {
    if (attrs_[i].name == name && attrs_[i].ns == ns) {
      attrs_[i].value = arena_->copy(value);
      return *this;
    }
  }
  if (attr_count_ == attr_capacity_) {
    std::uint32_t capacity = attr_capacity_ < 2 ? 4 : attr_capacity_ * 2;
    auto* grown = arena_->make_array<Attribute>(capacity);
    std::copy_n(attrs_, attr_count_, grown);
    attrs_ = grown;
    attr_capacity_ = capacity;
  }
  attrs_[attr_count_++] = {intern_or_copy(*arena_, name), intern_or_copy(*arena_, ns),
                           arena_->copy(value)};
  return *this;
}

bool Element::remove_attr(std::string_view name, std::string_view ns) {
  for (std::uint32_t i = 0; i < attr_count_; ++i) {
    if (attrs_[i].name == name && attrs_[i].ns == ns) {
      std::copy(attrs_ + i + 1, attrs_ + attr_count_, attrs_ + i);
      --attr_count_;
      return true;
    }
  }
  return false;
}

void Element::adopt_attrs(Attribute* attrs, std::uint32_t count) {
  attrs_ = attrs;
  attr_count_ = count;
  attr_capacity_ = count;
}

void Element::link(Node* node) {
  node->next_ = nullptr;
  if (last_child_ == nullptr) {
    first_child_ = node;
  } else {
    last_child_->next_ = node;
  }
  last_child_ = node;
}

std::size_t Element::child_element_count() const {
  std::size_t count = 0;
  for ([[maybe_unused]] const Element& child : children()) {
    ++count;
  }
  return count;
}

Element* Element::first_child() const {
  ElementIterator it(first_child_);
  return it == ElementIterator() ? nullptr : &*it;
}

Element* Element::child(std::string_view name, std::string_view ns) const {
  for (Element& c : children()) {
    if (c.is(name, ns)) {
      return &c;
    }
  }
  return nullptr;
}

std::string_view Element::child_text(std::string_view name, std::string_view ns) const {
  const Element* c = child(name, ns);
  return c != nullptr ? c->text() : std::string_view{};
}

Element& Element::add_child(std::string_view name, std::string_view ns) {
  Element* c = arena_->make<Element>(*arena_, intern_or_copy(*arena_, name),
                                     ns.empty() ? ns_ : intern_or_copy(*arena_, ns));
  return append(c);
}

Element& Element::append(Element* c) {
  c->parent_ = this;
  link(c);
  return *c;
}

Element& Element::add_text(std::string_view text) {
  if (!text.empty()) {
    link(arena_->make<TextNode>(arena_->copy(text)));
  }
  return *this;
}

Element& Element::set_text(std::string_view text) {
  clear_children();
  return add_text(text);
}

std::string_view Element::text() const {
  const TextNode* only = nullptr;
  std::size_t runs = 0;
  std::size_t total = 0;
  for (const Node* n = first_child_; n != nullptr; n = n->next()) {
    if (n->is_text()) {
      only = static_cast<const TextNode*>(n);
      ++runs;
      total += only->text().size();
    }
  }
  if (runs <= 1) {
    return only != nullptr ? only->text() : std::string_view{};
  }
  // Mixed content: join the runs once, in the arena.
  char* joined = static_cast<char*>(arena_->allocate(total, 1));
  std::size_t at = 0;
  for (const Node* n = first_child_; n != nullptr; n = n->next()) {
    if (n->is_text()) {
      std::string_view part = n->text_value();
      std::memcpy(joined + at, part.data(), part.size());
      at += part.size();
    }
  }
  return {joined, total};
}

void Element::remove_child(Element* c) {
  Node* prev = nullptr;
  for (Node* n = first_child_; n != nullptr; prev = n, n = n->next()) {
    if (n == c) {
      if (prev == nullptr) {
        first_child_ = n->next();
      } else {
        prev->next_ = n->next();
      }
      if (last_child_ == n) {
        last_child_ = prev;
      }
      c->parent_ = nullptr;
      c->next_ = nullptr;
      return;
    }
  }
}

Element* Element::clone_into(Arena& arena) const {
  // Names that are well-known stay shared (static storage); everything else is copied.
  Element* copy =
      arena.make<Element>(arena, intern_or_copy(arena, name_), intern_or_copy(arena, ns_));
  if (attr_count_ > 0) {
    auto* attrs = arena.make_array<Attribute>(attr_count_);
    for (std::uint32_t i = 0; i < attr_count_; ++i) {
      attrs[i] = {intern_or_copy(arena, attrs_[i].name), intern_or_copy(arena, attrs_[i].ns),
                  arena.copy(attrs_[i].value)};
    }
    copy->adopt_attrs(attrs, attr_count_);
  }
  for (const Node* n = first_child_; n != nullptr; n = n->next()) {
    if (const Element* e = n->as_element()) {
      copy->append(e->clone_into(arena));
    } else {
      copy->add_text(n->text_value());
    }
  }
  return copy;
}

namespace {

// Walks a child list yielding elements and merged text runs, so that "a" "b" equals "ab".
struct MergedChildren {
  const Node* node;
  std::string text;

  explicit MergedChildren(const Node* first) : node(first) {}
  // Advances to the next item; returns false at the end. On a text item, `text` holds it.
  bool next(const Element*& element) {
    text.clear();
    if (node == nullptr) {
      return false;
    }
    if (node->is_element()) {
      element = node->as_element();
      node = node->next();
      return true;
    }
    element = nullptr;
    while (node != nullptr && node->is_text()) {
      text += node->text_value();
      node = node->next();
    }
    return true;
  }
};

}  // namespace

bool equal_trees(const Element& a, const Element& b) {
  if (a.name() != b.name() || a.ns() != b.ns() || a.attrs().size() != b.attrs().size()) {
    return false;
  }
  for (const Attribute& attr : a.attrs()) {
    const Attribute* other = b.find_attr(attr.name, attr.ns);
    if (other == nullptr || other->value != attr.value) {
      return false;
    }
  }
  MergedChildren left(a.first_node());
  MergedChildren right(b.first_node());
  for (;;) {
    const Element* le = nullptr;
    const Element* re = nullptr;
    bool lmore = left.next(le);
    bool rmore = right.next(re);
    if (lmore != rmore) {
      return false;
    }
    if (!lmore) {
      return true;
    }
    if ((le == nullptr) != (re == nullptr)) {
      return false;
    }
    if (le != nullptr ? !equal_trees(*le, *re) : left.text != right.text) {
      return false;
    }
  }
}

}  // namespace tern::xmpp
