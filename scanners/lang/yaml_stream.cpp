#include "scanners/lang/yaml_stream.hpp"

#include <yaml.h>

namespace regscan {

namespace {

std::string_view as_view(const yaml_char_t* s, size_t n) {
  return {reinterpret_cast<const char*>(s), n};
}

// One open mapping or sequence: a mapping alternates key and value.
struct level {
  bool mapping = false;
  bool want_key = true;
};

class parser {
 public:
  explicit parser(std::string_view content) {
    yaml_parser_initialize(&p_);
    yaml_parser_set_input_string(&p_, reinterpret_cast<const unsigned char*>(content.data()),
                                 content.size());
  }
  ~parser() { yaml_parser_delete(&p_); }
  parser(const parser&) = delete;
  parser& operator=(const parser&) = delete;

  std::string run(yaml_visitor& v, size_t max_depth) {
    std::vector<std::string> path;
    std::vector<level> levels;
    for (;;) {
      yaml_event_t e;
      if (!yaml_parser_parse(&p_, &e))
        return error();
      struct guard {
        yaml_event_t& e;
        ~guard() { yaml_event_delete(&e); }
      } g{e};
      // A scalar, alias or collection start in a mapping's key position is a key.
      bool is_key = !levels.empty() && levels.back().mapping && levels.back().want_key;
      auto value_done = [&] {
        if (levels.empty())
          return;
        if (levels.back().mapping) {
          levels.back().want_key = true;
          path.pop_back();
        }
      };
      switch (e.type) {
      case YAML_DOCUMENT_END_EVENT:
      case YAML_STREAM_END_EVENT:
        return {};
      case YAML_SCALAR_EVENT:
      case YAML_ALIAS_EVENT: {
        std::string text = e.type == YAML_SCALAR_EVENT
                             ? std::string(as_view(e.data.scalar.value, e.data.scalar.length))
                             : "*" + std::string(reinterpret_cast<const char*>(e.data.alias.anchor));
        if (is_key) {
          path.push_back(std::move(text));
          levels.back().want_key = false;
          break;
        }
        if (!levels.empty() && !levels.back().mapping)
          path.push_back("-");
        v.scalar(path, text);
        if (!levels.empty() && !levels.back().mapping)
          path.pop_back();
        value_done();
        break;
      }
      case YAML_MAPPING_START_EVENT:
      case YAML_SEQUENCE_START_EVENT:
        if (is_key)
          return "line " + std::to_string(e.start_mark.line + 1) + ": a mapping key is not a scalar";
        if (levels.size() >= max_depth)
          return "line " + std::to_string(e.start_mark.line + 1) + ": nested deeper than "
                 + std::to_string(max_depth);
        if (!levels.empty() && !levels.back().mapping)
          path.push_back("-");
        v.begin(path);
        levels.push_back({e.type == YAML_MAPPING_START_EVENT, true});
        break;
      case YAML_MAPPING_END_EVENT:
      case YAML_SEQUENCE_END_EVENT:
        v.end(path);
        levels.pop_back();
        if (!levels.empty() && !levels.back().mapping)
          path.pop_back();
        value_done();
        break;
      default:
        break;
      }
    }
  }

 private:
  std::string error() const {
    std::string why = p_.problem ? p_.problem : "not YAML";
    return "line " + std::to_string(p_.problem_mark.line + 1) + ": " + why;
  }

  yaml_parser_t p_{};
};

} // namespace

std::string read_yaml(std::string_view content, yaml_visitor& v, size_t max_depth) {
  parser p(content);
  return p.run(v, max_depth);
}

} // namespace regscan
