// A minimal JSON value and parser for the graph files (objects, arrays, strings, numbers, booleans,
// null), so the graph module needs no JSON library; parse errors are io_errors naming the source and
// the line and column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"

namespace nas::graph::detail {

// A parsed JSON value; objects keep their keys in file order.
struct json {
  // Which member holds the value.
  enum class type { null, boolean, number, string, array, object };
  type t = type::null;
  bool b = false;
  double n = 0.0;
  std::string s;
  std::vector<json> a;
  std::vector<std::pair<std::string, json>> o;

  // Declared here, defined below where json is complete (a pair<string, json> member needs it; clang
  // instantiates it eagerly otherwise).
  json() = default;
  json(const json&);
  json(json&&) noexcept;
  json& operator=(const json&);
  json& operator=(json&&) noexcept;
  ~json();

  // The member `key` of an object, or nullptr.
  const json* find(std::string_view key) const {
    for (const auto& [k, v] : o)
      if (k == key) return &v;
    return nullptr;
  }
};

inline json::json(const json&) = default;
inline json::json(json&&) noexcept = default;
inline json& json::operator=(const json&) = default;
inline json& json::operator=(json&&) noexcept = default;
inline json::~json() = default;

// Recursive-descent parser over a string; `source` names the input in errors.
class json_parser {
 public:
  json_parser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  // Parses the whole text as one value.
  json parse() {
    json v = value(0);
    skip();
    if (pos_ != text_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(std::string_view what) const {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw moo::io_error(moo::detail::message(source_, ":", line, ":", col, ": malformed JSON: ", what));
  }

  // Skips white space.
  void skip() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t' || text_[pos_] == '\r'))
      ++pos_;
  }

  // Consumes c (after white space) if it comes next.
  bool eat(char c) {
    skip();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // Consumes c or fails.
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }

  // One value of any type; `depth` bounds the nesting.
  json value(int depth) {
    if (depth > 64) fail("nesting deeper than 64");
    skip();
    if (pos_ >= text_.size()) fail("unexpected end of input");
    const char c = text_[pos_];
    json v;
    if (c == '{') {
      ++pos_;
      v.t = json::type::object;
      if (eat('}')) return v;
      do {
        skip();
        std::string k = string();
        expect(':');
        v.o.emplace_back(std::move(k), value(depth + 1));
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      ++pos_;
      v.t = json::type::array;
      if (eat(']')) return v;
      do v.a.push_back(value(depth + 1));
      while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.t = json::type::string;
      v.s = string();
    } else if (literal("true")) {
      v.t = json::type::boolean;
      v.b = true;
    } else if (literal("false")) {
      v.t = json::type::boolean;
    } else if (literal("null")) {
      v.t = json::type::null;
    } else {
      v.t = json::type::number;
      v.n = number();
    }
    return v;
  }

  // Consumes the keyword w if it comes next.
  bool literal(std::string_view w) {
    if (text_.substr(pos_, w.size()) == w) {
      pos_ += w.size();
      return true;
    }
    return false;
  }

  // A number (strtod's syntax, which accepts every JSON number).
  double number() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && (std::string_view("+-0123456789.eE").find(text_[pos_]) != std::string_view::npos)) ++pos_;
    if (pos_ == start) fail("expected a value");
    const std::string tok(text_.substr(start, pos_ - start));
    char* end = nullptr;
    const double d = std::strtod(tok.c_str(), &end);
    if (end != tok.c_str() + tok.size()) {
      pos_ = start;
      fail("malformed number '" + tok + "'");
    }
    return d;
  }

  // A string literal with its escapes decoded (unicode escapes as UTF-8).
  std::string string() {
    if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string");
    ++pos_;
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') break;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) fail("unterminated escape");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (pos_ + 4 > text_.size()) fail("short \\u escape");
          const unsigned cp = static_cast<unsigned>(std::strtoul(std::string(text_.substr(pos_, 4)).c_str(), nullptr, 16));
          pos_ += 4;
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: fail(std::string("unknown escape \\") + e);
      }
    }
    return out;
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

// Parses text as JSON; errors name `source`.
inline json parse_json(std::string_view text, std::string_view source) { return json_parser(text, source).parse(); }

// A JSON string literal for s.
inline std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[(c >> 4) & 0xF];
          out += hex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace nas::graph::detail
