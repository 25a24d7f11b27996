#include "scanners/versions/debian_version.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace regscan {
namespace {

int sign(int x) { return (x > 0) - (x < 0); }

TEST(debian_version, known_orderings) {
  struct tc {
    const char* a;
    const char* b;
    int want;
  };
  const tc cases[] = {
      {"1.0", "1.0", 0},
      {"1.0", "1.00", 0},
      {"0:1.0", "1.0", 0},
      {"1.0", "1.0-0", 0},
      {"1.0~rc1", "1.0", -1},
      {"1.0~~", "1.0~", -1},
      {"1.0~", "1.0", -1},
      {"1.0", "1.0a", -1},
      {"1.0a", "1.0+", -1},  // letters before non-letters
      {"1.0+", "1.0.", -1},  // '+' < '.' in ASCII
      {"1.9", "1.10", -1},   // digit runs compare numerically
      {"1.010", "1.9", 1},
      {"1:0.1", "2.0", 1},   // the epoch wins
      {"2.5.0-1+deb12u1", "2.5.0-1+deb12u3", -1},
      {"2.5.0-1+deb12u3", "2.5.0-1+deb12u3", 0},
      {"1:9.18.49-1~deb12u2", "1:9.18.49-1", -1},
      {"1.26.5-1~exp1+deb11u4", "1.26.5-1", -1},
      {"1.0-1-1", "1.0-1", 1},   // the revision starts after the last hyphen
      {"3.0-13+deb12u1", "3.0-13", 1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sign(compare_debian_versions(c.a, c.b)), c.want) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_debian_versions(c.b, c.a)), -c.want) << c.b << " vs " << c.a;
  }
}

TEST(debian_version, validity) {
  for (const char* v : {"1.0", "1:2.3-4", "2.5.0-1+deb12u3", "1.0~rc1-1~bpo1", "1:2:3-4",
                        "1.0-1-2", "0", "  1.0  "})
    EXPECT_TRUE(valid_debian_version(v)) << v;
  for (const char* v : {"", " ", "a1.0", "1.0-", ":1.0", "1:", "x:1.0", "1.0 1", "1.0-a_b",
                        "1.0_1", "99999999999:1.0", "1:-1", "-1"})
    EXPECT_FALSE(valid_debian_version(v)) << v;
}

// Versions taken from the fixed events of /work/shared/data/osv/Debian.
const char* const real_versions[] = {
    "0.6.2+dfsg-3.1+deb11u1", "1.0.18-1+deb11u1", "1.1.15+ds1-2+deb13u1", "1.1.1w-0+deb11u5",
    "1.1.34-4+deb11u3", "1.10.0-5+deb11u1", "1.14.1-3+deb12u1", "1.18.4-3+deb11u5",
    "1.26.5-1~exp1+deb11u4", "1.34-2+deb12u3", "1.43.0-1+deb11u3", "1.6.37-3+deb11u2",
    "1.7.4+~1.7.1-1+deb12u2", "1.9.5p2-3+deb11u3", "10.0.0~dfsg-11+deb12u9",
    "10.1.60-1~deb12u1", "11.0.26+4-1~deb11u1", "11.0.27+6-1~deb11u1", "11.0.31+11-1~deb11u1",
    "11.0.32+9-2~deb11u1", "11.0.32.1+1-1~deb11u1", "150.0.7871.181-1~deb12u1",
    "152.0.7977.82-1~deb12u1", "153.5.1esr-1~deb12u1", "153.8.0esr-1~deb12u1",
    "156.0.8078.108-1~deb12u1", "156.0.8078.47-1~deb12u1", "156.0.8078.73-1~deb12u1",
    "17.0.15+6-1~deb11u1", "17.0.21.1+2-1~deb12u1", "1:1.35.13-1+deb11u7",
    "1:10.5.28-0+deb11u2", "1:140.13.0esr-2~deb12u1", "1:140.16.0esr-1~deb12u1",
    "1:140.17.0esr-1~deb12u1", "1:153.5.1esr-1~deb13u1", "1:153.7.0esr-1~deb12u1",
    "1:153.7.0esr-1~deb13u1", "1:153.8.0esr-1~deb12u1", "1:153.8.0esr-1~deb13u1",
    "1:16.28.0~dfsg-0+deb11u5", "1:2.3.13+dfsg1-2+deb11u2", "1:2.3.13+dfsg1-2+deb11u4",
    "1:2.44-1+deb11u1", "1:8.4p1-5+deb11u4", "1:9.16.50-1~deb11u3", "1:9.16.50-1~deb11u6",
    "1:9.18.49-1~deb12u3", "2.0.14+dfsg2-3+deb11u2", "2.0.14-1.2+deb11u1", "2.1.2-4+deb12u1",
    "2.11.3-1+deb11u1", "2.2.12-0.1~deb12u2", "2.4.65-1~deb11u1", "2.4.67-1~deb11u2",
    "2.5.1-3+deb11u3", "2.54.7+dfsg-1~deb12u2", "2.6.2", "2.9.2-2+deb11u2",
    "20.09.0-3.1+deb11u2", "20.10.5+dfsg1-1+deb11u3", "2021.01+dfsg-5+deb11u1",
    "247.3-7+deb11u8", "2:2.2.28-1~deb11u11", "2:2.2.28-1~deb11u13", "2:2.2.28-1~deb11u7",
    "2:2.2.28-1~deb11u9", "2:21.0.0-7+deb12u1", "2:21.1.7-3+deb12u13", "3.0-13+deb12u1",
    "3.0.22-1~deb12u1", "3.11-1+deb11u1", "3.12.0+dfsg-2~deb13u1", "3.2.2+dfsg1-1+deb11u1",
    "3.3.4-1~deb11u2", "3.5-4+deb11u4", "3.7.1-5+deb11u8", "3.7.4-1+deb11u1", "3.9-1+deb11u3",
    "3.9.2-1+deb11u7", "4.0.20-2+deb11u1", "4.94.2-7+deb11u4", "5.10.226-1",
    "5.4.9-1~deb13u1", "5:7.0.15-1~deb12u8", "6.12.100-1~deb12u1", "67.1-7+deb11u1",
    "74.0.0-1+deb12u1", "7:4.3.8-0+deb11u1", "7:4.3.8-0+deb11u3", "7:4.3.9-0+deb11u1",
    "7:4.3.9-0+deb11u2", "8.0.0-3+deb12u2", "8.1.11+ds-0+deb11u2", "8.2.36-1~deb12u1",
    "8:6.9.11.60+dfsg-1.3+deb11u11", "8:6.9.11.60+dfsg-1.3+deb11u13", "9.0.43-2~deb11u12",
    "9.53.3~dfsg-7+deb11u10", "9.53.3~dfsg-7+deb11u11",
    // The same versions a point release or a backport away.
    "2.5.0-1+deb12u1", "2.5.0-1+deb12u3", "2.5.0-1", "1:9.18.49-1", "1:9.18.49-1~deb12u2",
    "9.53.3~dfsg-7", "1.26.5-1", "0:2.6.2", "2.6.2-0", "2.6.2~",
};

using pair_list = std::vector<std::pair<std::string, std::string>>;

bool have_dpkg() { return std::system("dpkg --version >/dev/null 2>&1") == 0; }

const char* relation(int sign) { return sign < 0 ? "lt" : sign > 0 ? "gt" : "eq"; }

// For each pair, asks dpkg whether the relation our comparator found holds:
// 0 yes, 1 no, 2 dpkg error. One dpkg call per pair (a process each, the
// slow part), in a shell loop per job; the jobs run side by side.
std::vector<int> dpkg_confirms(const pair_list& pairs, size_t jobs = 2) {
  std::vector<std::string> files;
  std::vector<FILE*> pipes;
  size_t per_job = (pairs.size() + jobs - 1) / jobs;
  for (size_t j = 0; j < jobs; ++j) {
    std::string file = ::testing::TempDir() + "regscan_dpkg_pairs_" + std::to_string(::getpid()) +
                       "_" + std::to_string(j);
    std::ofstream out{file};
    for (size_t i = j * per_job; i < std::min(pairs.size(), (j + 1) * per_job); ++i) {
      const auto& [a, b] = pairs[i];
      out << a << ' ' << relation(compare_debian_versions(a, b)) << ' ' << b << '\n';
    }
    out.close();
    files.push_back(file);
    std::string script = "LC_ALL=C; export LC_ALL; while read -r a op b; do "
                         "dpkg --compare-versions \"$a\" $op \"$b\" 2>/dev/null; echo $?; "
                         "done < '" + file + "'";
    pipes.push_back(::popen(script.c_str(), "r"));
  }
  std::vector<int> answers;
  for (size_t j = 0; j < jobs; ++j) {
    if (pipes[j] == nullptr)
      continue;
    int s = 0;
    while (std::fscanf(pipes[j], "%d", &s) == 1)
      answers.push_back(s);
    ::pclose(pipes[j]);
    std::remove(files[j].c_str());
  }
  return answers;
}

// dpkg confirming the one relation we found (<, = or >) means it orders
// the pair the same way.
void expect_same_as_dpkg(const pair_list& pairs) {
  std::vector<int> answers = dpkg_confirms(pairs);
  ASSERT_EQ(answers.size(), pairs.size());
  int mismatches = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& [a, b] = pairs[i];
    ASSERT_NE(answers[i], 2) << "dpkg rejected " << a << " or " << b;
    int got = sign(compare_debian_versions(a, b));
    EXPECT_EQ(answers[i], 0) << "dpkg disagrees: " << a << ' ' << relation(got) << ' ' << b;
    EXPECT_EQ(sign(compare_debian_versions(b, a)), -got) << b << " vs " << a;
    if (answers[i] != 0 && ++mismatches > 20)
      FAIL() << "too many mismatches";
  }
}

// Small alphabets, so that random versions often share prefixes.
class version_generator {
 public:
  explicit version_generator(uint32_t seed) : rng_(seed) {}

  std::string version() {
    std::string v;
    bool epoch = pick(5) == 0;
    if (epoch)
      v += digits() + ":";
    v += digits();
    bool revision = pick(5) < 3;
    for (size_t n = pick(5); n > 0; --n) {
      std::string seps = ".+~";
      if (revision)
        seps += '-';
      if (epoch)
        seps += ':';
      v += seps[pick(seps.size())];
      v += part();
    }
    if (revision) {
      v += '-';
      std::string r = pick(4) == 0 ? letters() : digits();
      for (size_t n = pick(3); n > 0; --n)
        r += std::string(1, ".+~"[pick(3)]) + part();
      v += r;
    }
    return v;
  }

  // A small edit of v, so the pair is decided somewhere in the middle.
  std::string mutate(std::string v) {
    size_t at = pick(v.size() + 1);
    switch (pick(7)) {
      case 0: return v;
      case 1: return v.insert(at, "~");
      case 2: return v + part();
      case 3: return at < v.size() ? v.erase(at, 1) : v;
      case 4: return at < v.size() ? v.replace(at, 1, 1, "0123456789az~+.-"[pick(16)]) : v;
      case 5: return v.insert(at, "0");
      default: return v.find(':') == std::string::npos ? "0:" + v : v;
    }
  }

 private:
  size_t pick(size_t n) { return n == 0 ? 0 : rng_() % n; }
  std::string digits() {
    std::string d = pick(4) == 0 ? "0" : "";
    for (size_t n = 1 + pick(2); n > 0; --n)
      d += "0123459"[pick(7)];
    return d;
  }
  std::string letters() {
    std::string l;
    for (size_t n = 1 + pick(3); n > 0; --n)
      l += "abzAZ"[pick(5)];
    return l;
  }
  std::string part() {
    switch (pick(4)) {
      case 0: return letters();
      case 1: return letters() + digits();
      case 2: return "";
      default: return digits();
    }
  }

  std::mt19937 rng_;
};

TEST(debian_version, same_as_dpkg_on_random_pairs) {
  if (!have_dpkg())
    GTEST_SKIP() << "dpkg is not installed";
  version_generator gen{20240601};
  pair_list pairs;
  while (pairs.size() < 3000) {
    std::string a = gen.version();
    std::string b = pairs.size() % 3 == 0 ? gen.version() : gen.mutate(a);
    if (valid_debian_version(a) && valid_debian_version(b))
      pairs.emplace_back(std::move(a), std::move(b));
  }
  expect_same_as_dpkg(pairs);
}

// Every pair of real versions: sort them with our order and let dpkg check
// each neighbour. Since both orders are total preorders (ours checked
// below), agreeing on neighbours means agreeing on all pairs.
TEST(debian_version, same_as_dpkg_on_real_versions) {
  if (!have_dpkg())
    GTEST_SKIP() << "dpkg is not installed";
  std::vector<std::string> sorted(std::begin(real_versions), std::end(real_versions));
  for (const auto& v : sorted)
    EXPECT_TRUE(valid_debian_version(v)) << v;
  std::sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
    return compare_debian_versions(a, b) < 0;
  });
  for (size_t i = 0; i < sorted.size(); ++i) {
    for (size_t j = i + 1; j < sorted.size(); ++j) {
      int ij = sign(compare_debian_versions(sorted[i], sorted[j]));
      ASSERT_LE(ij, 0) << sorted[i] << " vs " << sorted[j];
      ASSERT_EQ(sign(compare_debian_versions(sorted[j], sorted[i])), -ij);
      // Equal neighbours only: equality must chain.
      if (ij == 0) {
        ASSERT_EQ(compare_debian_versions(sorted[j - 1], sorted[j]), 0);
      }
    }
  }
  pair_list pairs;
  for (size_t i = 0; i + 1 < sorted.size(); ++i)
    pairs.emplace_back(sorted[i], sorted[i + 1]);
  // Plus some far-apart pairs asked directly.
  std::mt19937 rng{7};
  for (int n = 0; n < 200; ++n)
    pairs.emplace_back(sorted[rng() % sorted.size()], sorted[rng() % sorted.size()]);
  expect_same_as_dpkg(pairs);
}

} // namespace
} // namespace regscan
