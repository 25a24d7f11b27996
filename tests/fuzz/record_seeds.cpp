// Writes seeds for fuzz_record_codecs: each record type as the store encodes
// it, prefixed by the byte fuzz_record_codecs reads as the record type.
#include <fstream>
#include <string>
#include <vector>

#include "storage/record_codec.hpp"

namespace {

void write(const std::string& dir, const std::string& name, char type, const std::string& json) {
  std::ofstream(dir + "/" + name, std::ios::binary) << type << json;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2)
    return 2;
  std::string dir = argv[1];
  namespace codec = regscan::codec;
  using namespace regscan;

  registry_record reg;
  reg.name = "hub";
  write(dir, "registry", 0, codec::encode(reg));
  image_record img;
  img.repository = "library/debian";
  write(dir, "image", 1, codec::encode(img));
  write(dir, "task", 2, codec::encode(task_record{}));

  scan_result result;
  result.image_key = "hub/library/debian@sha256:00";
  result.inv.os = {"debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"};
  package p;
  p.ecosystem = "Debian:12";
  p.name = "libc6";
  p.version = "2.36-9+deb12u4";
  result.inv.packages.push_back(p);
  result.inv.notes.push_back("bad \xff byte");
  write(dir, "result", 3, codec::encode(result));
  findings_record findings;
  write(dir, "findings", 4, codec::encode(findings));
  std::vector<const package*> packages{&p};
  write(dir, "packages", 5, codec::encode_packages(packages));
  write(dir, "ecosystem_status", 6, codec::encode(ecosystem_status{}));
  write(dir, "schedule", 7, codec::encode(schedule_record{}));
  write(dir, "exception", 8, codec::encode(exception_record{}));
  return 0;
}
