#include "scanners/lang/gem_cataloger.hpp"

#include <string>

#include "scanners/cataloger_util.hpp"

namespace regscan {

namespace {

// The first string literal in `expr`: "x", 'x', %q{x} or %q(x) (what RubyGems
// and older Debian tools write); empty when there is none.
std::string first_literal(std::string_view expr) {
  for (size_t i = 0; i < expr.size(); ++i) {
    char c = expr[i];
    char close = 0;
    size_t start = i + 1;
    if (c == '"' || c == '\'')
      close = c;
    else if (c == '%' && i + 2 < expr.size() && expr[i + 1] == 'q') {
      char open = expr[i + 2];
      close = open == '{' ? '}' : open == '(' ? ')' : open == '[' ? ']' : open == '<' ? '>' : open;
      start = i + 3;
    }
    if (!close)
      continue;
    auto end = expr.find(close, start);
    if (end == std::string_view::npos)
      return {};
    return std::string(expr.substr(start, end - start));
  }
  return {};
}

// "  s.name = ..." -> "..." when the attribute is `attr`.
bool attribute(std::string_view line, std::string_view attr, std::string& value) {
  line = util::trim(line);
  auto dot = line.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 32)
    return false;
  auto rest = line.substr(dot + 1);
  if (!rest.starts_with(attr))
    return false;
  rest = util::trim(rest.substr(attr.size()));
  if (!rest.starts_with('=') || rest.starts_with("=="))
    return false;
  value = first_literal(rest.substr(1));
  return true;
}

} // namespace

bool gem_cataloger::wants(std::string_view path) const {
  if (!path.ends_with(".gemspec"))
    return false;
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos)
    return false;
  auto dir = path.substr(0, slash);
  if (dir.ends_with("/default") || dir == "default") // Ruby's default gems
    dir.remove_suffix(dir == "default" ? 7 : 8);
  return dir == "specifications" || dir.ends_with("/specifications");
}

void gem_cataloger::parse(std::string_view path, std::string_view content,
                          std::string_view layer, const os_info&, inventory& out) const {
  std::string name, version, stub_name, stub_version;
  std::string_view rest = content;
  while (!rest.empty() && (name.empty() || version.empty())) {
    auto line = util::next_line(rest);
    // "# stub: rake 13.0.6 ruby lib": what RubyGems itself reads first.
    if (line.starts_with("# stub: ")) {
      auto words = line.substr(8);
      auto sp = words.find(' ');
      stub_name.assign(words.substr(0, sp));
      if (sp != std::string_view::npos) {
        words.remove_prefix(sp + 1);
        stub_version.assign(words.substr(0, words.find(' ')));
      }
      continue;
    }
    std::string v;
    if (name.empty() && attribute(line, "name", v))
      name = v;
    else if (version.empty() && attribute(line, "version", v))
      version = v;
  }
  if (name.empty())
    name = stub_name;
  if (version.empty())
    version = stub_version;
  if (!util::valid_token(name) || !util::valid_token(version)) {
    out.notes.push_back("gem: " + std::string(path) + ": no name or version in the gemspec");
    return;
  }
  package p;
  p.ecosystem = "RubyGems";
  p.name = std::move(name);
  p.version = std::move(version);
  p.source_name = p.name;
  p.source_version = p.version;
  p.file.assign(path);
  p.layer.assign(layer);
  out.packages.push_back(std::move(p));
}

} // namespace regscan
