// SPDX-License-Identifier: MIT
// Element: the XML tree every stanza is. Nodes (elements and text runs) and their strings live in
// the Arena of the stanza that owns them, so a tree is built without a malloc per node and dropped
// without a destructor per node. Mixed content round-trips: text and child elements keep their
// order. Names are namespace-qualified: (local name, namespace URI); prefixes are not kept, since
// the serializer chooses its own.
#pragma once

#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

#include "xmpp/arena.h"

namespace tern::xmpp {

class Element;

enum class NodeKind : std::uint8_t { Element, Text };

// A child of an element: an Element or a Text run, linked in document order.
class Node {
 public:
  NodeKind kind() const { return kind_; }
  bool is_element() const { return kind_ == NodeKind::Element; }
  bool is_text() const { return kind_ == NodeKind::Text; }
  Node* next() const { return next_; }
  Element* as_element();  // nullptr for a text node
  const Element* as_element() const;
  // The text of a Text node; empty for an element.
  std::string_view text_value() const;

 protected:
  explicit Node(NodeKind kind) : kind_(kind) {}

 private:
  friend class Element;
  NodeKind kind_;
  Node* next_ = nullptr;
};

class TextNode final : public Node {
 public:
  explicit TextNode(std::string_view text) : Node(NodeKind::Text), text_(text) {}
  std::string_view text() const { return text_; }

 private:
  friend class Element;
  std::string_view text_;
};

inline std::string_view Node::text_value() const {
  return is_text() ? static_cast<const TextNode*>(this)->text() : std::string_view{};
}

// An attribute. `ns` is empty for an unqualified attribute (the usual case); xml:lang has
// ns::kXml.
struct Attribute {
  std::string_view name;
  std::string_view ns;
  std::string_view value;
};

// Iterates over the element children of an element, skipping text.
class ElementIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = Element;
  using difference_type = std::ptrdiff_t;
  using pointer = Element*;
  using reference = Element&;

  ElementIterator() = default;
  explicit ElementIterator(Node* node) : node_(skip_text(node)) {}
  Element& operator*() const { return *node_->as_element(); }
  Element* operator->() const { return node_->as_element(); }
  ElementIterator& operator++() {
    node_ = skip_text(node_->next());
    return *this;
  }
  ElementIterator operator++(int) {
    ElementIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const ElementIterator& other) const { return node_ == other.node_; }

 private:
  static Node* skip_text(Node* node) {
    while (node != nullptr && !node->is_element()) {
      node = node->next();
    }
    return node;
  }
  Node* node_ = nullptr;
};

struct ElementRange {
  Node* first;
  ElementIterator begin() const { return ElementIterator(first); }
  ElementIterator end() const { return ElementIterator(); }
};

class Element final : public Node {
 public:
  // Use Element::create (or add_child); `name` and `ns` must already live in `arena` or in static
  // storage.
  Element(Arena& arena, std::string_view name, std::string_view ns)
      : Node(NodeKind::Element), arena_(&arena), name_(name), ns_(ns) {}

  // A new element in `arena`; name and ns are copied unless they are well-known names.
  static Element* create(Arena& arena, std::string_view name, std::string_view ns);

  std::string_view name() const { return name_; }
  std::string_view ns() const { return ns_; }
  bool is(std::string_view name, std::string_view ns) const { return name_ == name && ns_ == ns; }
  Arena& arena() const { return *arena_; }
  Element* parent() const { return parent_; }

  // ---- attributes
  std::span<const Attribute> attrs() const { return {attrs_, attr_count_}; }
  const Attribute* find_attr(std::string_view name, std::string_view ns = {}) const;
  // The attribute's value, or empty when absent (use find_attr to tell absent from empty).
  std::string_view attr(std::string_view name, std::string_view ns = {}) const {
    const Attribute* a = find_attr(name, ns);
    return a != nullptr ? a->value : std::string_view{};
  }
  bool has_attr(std::string_view name, std::string_view ns = {}) const {
    return find_attr(name, ns) != nullptr;
  }
  // Sets or replaces; name, ns and value are copied into the arena.
  Element& set_attr(std::string_view name, std::string_view value) {
    return set_attr(name, {}, value);
  }
  Element& set_attr(std::string_view name, std::string_view ns, std::string_view value);
  bool remove_attr(std::string_view name, std::string_view ns = {});
  // Parser fast path: attributes whose strings already live in the arena, set once.
  void adopt_attrs(Attribute* attrs, std::uint32_t count);

  // ---- children
  Node* first_node() const { return first_child_; }
  Node* last_node() const { return last_child_; }
  ElementRange children() const { return {first_child_}; }
  std::size_t child_element_count() const;
  Element* first_child() const;
  // The first child with this name and namespace.
  Element* child(std::string_view name, std::string_view ns) const;
  // The first child with this name in this element's own namespace (Prosody's get_child default).
  Element* child(std::string_view name) const { return child(name, ns_); }
  // Text of the first matching child, or empty.
  std::string_view child_text(std::string_view name, std::string_view ns) const;
  std::string_view child_text(std::string_view name) const { return child_text(name, ns_); }

  // Appends a new child; an empty ns means "same as this element". Returns the child.
  Element& add_child(std::string_view name, std::string_view ns = {});
  // Appends an existing element (allocated in this element's arena, not linked anywhere yet).
  Element& append(Element* child);
  // Appends a text run (copied into the arena). Returns *this for chaining.
  Element& add_text(std::string_view text);
  // Replaces all children with one text run.
  Element& set_text(std::string_view text);
  // The concatenated text of the direct text children.
  std::string_view text() const;
  void remove_child(Element* child);
  void clear_children() { first_child_ = last_child_ = nullptr; }

  // A deep copy in another arena.
  Element* clone_into(Arena& arena) const;

 private:
  void link(Node* node);

  Arena* arena_;
  std::string_view name_;
  std::string_view ns_;
  Element* parent_ = nullptr;
  Node* first_child_ = nullptr;
  Node* last_child_ = nullptr;
  Attribute* attrs_ = nullptr;
  std::uint32_t attr_count_ = 0;
  std::uint32_t attr_capacity_ = 0;
};

inline Element* Node::as_element() {
  return is_element() ? static_cast<Element*>(this) : nullptr;
}
inline const Element* Node::as_element() const {
  return is_element() ? static_cast<const Element*>(this) : nullptr;
}

// Copies `text` into `arena` unless it is a well-known name (then the static copy is returned).
std::string_view intern_or_copy(Arena& arena, std::string_view text);

// Structural equality: same names, namespaces, attributes (in any order) and children in order,
// with adjacent text runs compared as one.
bool equal_trees(const Element& a, const Element& b);

}  // namespace tern::xmpp
