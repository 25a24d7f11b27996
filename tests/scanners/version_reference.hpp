#pragma once
// Differential testing of a version ordering against its reference
// implementation, run as one batch process: pairs go in as "a<TAB>b"
// lines, one answer per line comes out (-1, 0, 1, or E when the reference
// rejects a version).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace regscan::testing_versions {

using pair_list = std::vector<std::pair<std::string, std::string>>;
using comparator = std::function<int(std::string_view, std::string_view)>;

inline int sign(int x) { return (x > 0) - (x < 0); }

inline std::string reference_dir() { return REGSCAN_SOURCE_DIR "/tests/scanners/reference"; }

inline bool have(const std::string& probe) {
  return std::system((probe + " >/dev/null 2>&1").c_str()) == 0;
}

// The reference's answers, one per pair; empty when it could not run.
inline std::vector<std::string> run_reference(const std::string& command, const pair_list& pairs) {
  std::string file = ::testing::TempDir() + "regscan_version_pairs_" + std::to_string(::getpid());
  {
    std::ofstream out{file};
    for (const auto& [a, b] : pairs)
      out << a << '\t' << b << '\n';
  }
  std::vector<std::string> answers;
  std::string script = command + " < '" + file + "'";
  if (FILE* p = ::popen(script.c_str(), "r")) {
    char buf[64];
    while (std::fgets(buf, sizeof buf, p) != nullptr) {
      std::string s{buf};
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.pop_back();
      answers.push_back(s);
    }
    ::pclose(p);
  }
  std::remove(file.c_str());
  return answers;
}

// Every pair must be ordered the same way by cmp and by the reference, and
// cmp must be antisymmetric. Pairs the reference rejects are counted and
// must be ones valid() rejects too (when given).
inline void expect_same_as_reference(const comparator& cmp, const std::string& command,
                                     const pair_list& pairs,
                                     const std::function<bool(std::string_view)>& valid = {}) {
  std::vector<std::string> answers = run_reference(command, pairs);
  ASSERT_EQ(answers.size(), pairs.size()) << "the reference did not answer: " << command;
  int mismatches = 0;
  size_t compared = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& [a, b] = pairs[i];
    int got = sign(cmp(a, b));
    EXPECT_EQ(sign(cmp(b, a)), -got) << "not antisymmetric: " << a << " vs " << b;
    if (answers[i] == "E") {
      if (valid) {
        EXPECT_FALSE(valid(a) && valid(b)) << "reference rejects " << a << " or " << b;
      }
      continue;
    }
    ++compared;
    int want = std::atoi(answers[i].c_str());
    EXPECT_EQ(got, want) << a << " vs " << b;
    if (got != want && ++mismatches > 20)
      FAIL() << "too many mismatches";
  }
  EXPECT_GT(compared, pairs.size() / 2) << "the reference rejected most pairs";
  std::printf("[ reference ] %zu pairs, %zu ordered by the reference, %zu rejected by it\n",
              pairs.size(), compared, pairs.size() - compared);
}

// Real versions: sort them with cmp, then have the reference check every
// neighbour (agreeing total preorders agree on all pairs) and some random
// far-apart pairs.
inline pair_list neighbour_pairs(std::vector<std::string> versions, const comparator& cmp,
                                 size_t random_pairs = 500) {
  std::stable_sort(versions.begin(), versions.end(),
                   [&](const std::string& a, const std::string& b) { return cmp(a, b) < 0; });
  pair_list pairs;
  for (size_t i = 0; i + 1 < versions.size(); ++i)
    pairs.emplace_back(versions[i], versions[i + 1]);
  std::mt19937 rng{7};
  for (size_t n = 0; n < random_pairs && !versions.empty(); ++n)
    pairs.emplace_back(versions[rng() % versions.size()], versions[rng() % versions.size()]);
  return pairs;
}

// One version per line from scanners/testdata/versions/<name>.
inline std::vector<std::string> real_versions(const std::string& name) {
  std::ifstream in{REGSCAN_SOURCE_DIR "/scanners/testdata/versions/" + name};
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      out.push_back(line);
  return out;
}

// Random versions from small alphabets, so that pairs often share a
// prefix and differ in the interesting places.
class random_source {
 public:
  explicit random_source(uint32_t seed) : rng_(seed) {}
  size_t pick(size_t n) { return n == 0 ? 0 : rng_() % n; }
  template <class T>
  const T& one_of(const std::vector<T>& v) { return v[pick(v.size())]; }
  std::string number(bool leading_zeros = false) {
    std::string d = leading_zeros && pick(5) == 0 ? "0" : "";
    size_t n = 1 + pick(2);
    for (size_t i = 0; i < n; ++i)
      d += "0123459"[pick(7)];
    if (!leading_zeros)
      while (d.size() > 1 && d[0] == '0')
        d.erase(0, 1);
    return d;
  }
  // A small edit: a pair decided somewhere in the middle.
  std::string mutate(std::string v, const std::string& alphabet) {
    size_t at = pick(v.size() + 1);
    switch (pick(5)) {
      case 0: return v;
      case 1: return at < v.size() ? v.erase(at, 1) : v;
      case 2: return at < v.size() ? v.replace(at, 1, 1, alphabet[pick(alphabet.size())]) : v;
      case 3: return v.insert(at, 1, alphabet[pick(alphabet.size())]);
      default: return v + alphabet[pick(alphabet.size())];
    }
  }

 private:
  std::mt19937 rng_;
};

} // namespace regscan::testing_versions
