#pragma once
// The streaming layer walk. The caller pushes each layer's compressed blob as
// it arrives from the registry (base layer first); the analyzer decompresses
// and untars it on the fly and applies OCI whiteouts. Each file a cataloger
// wants is parsed when its entry ends, into a record keyed by its path; a
// later layer that deletes or replaces the path drops the record. Only what
// needs the final view stays as bytes: the OS release files and the targets
// of wanted symlinks. Nothing touches disk, and memory stays flat however big
// the layers are. finish() settles the OS and gathers the records. The merged
// view of the layers is an overlay_fs.
//
// A layer can also come from the layer cache: take_delta() gives what a walked
// layer did, on its own, and replay_layer() adds it to another image's walk in
// place of the layer's bytes, with the same outcome as walking it (both in
// layer_delta.cpp).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scanners/cataloger.hpp"
#include "scanners/expected.hpp"
#include "scanners/layer/layer_delta.hpp"
#include "scanners/layer/overlay_fs.hpp"
#include "scanners/layer/tar_reader.hpp"
#include "scanners/types.hpp"

namespace regscan {

struct analysis_limits {
  uint64_t max_layer_bytes = 16ull << 30;       // decompressed bytes per layer (bomb guard)
  uint64_t max_entries = 1'000'000;             // tar entries per layer
  uint64_t max_file_size = 256ull << 20;        // one wanted file read into memory
  uint64_t max_executable_size = 512ull << 20;  // one executable offered to wants_executable
  uint64_t max_deferred_bytes = 64ull << 20;    // held per layer while no OS is known yet
  uint64_t max_symlinks = 200'000;              // kept for the whole image, to follow links
  uint64_t max_packages = 200'000;              // held for the whole image
  uint64_t max_records = 200'000;               // parsed files held for the whole image
  uint64_t max_notes = 10'000;                  // notes in the inventory; the rest are counted
  uint64_t max_secrets = 10'000;                // secret findings held for the whole image
  uint64_t max_malware = 10'000;                // malware findings held for the whole image
};

class secret_scanner;
class malware_scanner;

class image_analyzer {
 public:
  /// Sees every decompressed byte of a layer, in order (e.g. to verify its diffID).
  using byte_observer = std::function<void(const uint8_t*, size_t)>;

  /// Uses default_catalogers().
  explicit image_analyzer(analysis_limits limits = {});
  image_analyzer(std::vector<std::unique_ptr<cataloger>> catalogers, analysis_limits limits = {});
  ~image_analyzer();
  image_analyzer(const image_analyzer&) = delete;
  image_analyzer& operator=(const image_analyzer&) = delete;

  /// Looks for secrets in every file the scanner wants, in every layer, from
  /// the next layer on. Findings in files that a later layer deletes or
  /// replaces stay, marked deleted.
  void look_for_secrets(std::shared_ptr<const secret_scanner> scanner);
  /// Looks for malware the same way: files the scanner wants by name, mode
  /// or first bytes are scanned, every regular file's SHA-256 is checked
  /// against its IOC list. Findings in deleted files stay, marked deleted.
  void look_for_malware(std::shared_ptr<const malware_scanner> scanner);

  /// Starts the next layer (base first). Ends a layer still open. `observer`,
  /// when given, sees the layer's decompressed bytes. With `record_delta`,
  /// the layer's paths are kept for take_delta() (bounded).
  void begin_layer(std::string digest, byte_observer observer = {}, bool record_delta = false);
  /// Compressed blob bytes as they arrive. An error is sticky for the layer;
  /// the caller may stop pulling it. The error is also kept for finish().
  expected<void> feed(const uint8_t* data, size_t size);
  /// An error when the stream was truncated or corrupt.
  expected<void> end_layer();
  /// Settles the OS, fixes what was parsed before it was known, sets package
  /// owners, and returns the inventory of the final filesystem.
  inventory finish();
  /// A note of the caller's, e.g. a layer whose bytes do not match its diffID.
  void add_note(std::string text, bool incomplete);

  /// What the catalogers made of one file's content. Every path that reaches
  /// the same content (a hardlink, a symlink) shares it: parsed and listed once.
  struct parsed_file {
    parsed_file(std::string path, std::vector<size_t> parsers,
                std::vector<cataloger_output> parts, uint64_t* held_packages);
    ~parsed_file();
    parsed_file(const parsed_file&) = delete;
    parsed_file& operator=(const parsed_file&) = delete;

    std::string path;           // the path it was parsed as: its packages' `file`
    std::vector<size_t> parsers; // the catalogers that parsed it
    std::vector<cataloger_output> parts;
    size_t packages = 0;
    uint64_t* held = nullptr;   // the analyzer's count of packages held, while this lives
  };
  /// One path of the final filesystem and what was parsed from it.
  struct record {
    size_t layer = 0;
    size_t os = 0; // index into os_seen_: the OS the parts were parsed with
    std::shared_ptr<parsed_file> parsed;
  };

  /// The delta of the layer just ended (begun with record_delta), or why it
  /// must not be cached: an error, a limit hit, a result that depends on
  /// the layers below it.
  expected<layer_delta> take_delta();
  /// Adds the next layer from its delta instead of its bytes. Returns false,
  /// changing nothing, when the layers below differ from those it was walked
  /// over in a way that would change it: walk the layer then.
  bool replay_layer(std::string digest, const layer_delta& delta);
  /// Part of the layer cache key: the catalogers' versions and the limits.
  std::string cache_version() const;

 private:
  class layer_walk;
  friend class layer_walk;

  // How the malware scanner takes an entry: not at all; its SHA-256 only
  // (the IOC list); its first bytes decide (`head`); read whole (`full`);
  // too large to read, its first bytes say whether that leaves a gap (`oversize`).
  enum class malware_read : uint8_t { none, ioc, head, full, oversize };
  // What to do with an entry's content when it ends.
  struct entry_plan {
    bool keep = false;     // OS file or a wanted symlink's target: keep the bytes
    std::vector<size_t> parsers; // catalogers that want it
    bool secrets = false;  // the secret scanner wants it
    std::string secrets_skipped; // why the secret scanner cannot read it (too large)
    malware_read malware = malware_read::none;
    bool malware_named = false;  // its name or mode says the malware scanner wants it
    std::string sha256;          // of the content, when the malware scanner takes it
    uint64_t size = 0;
  };
  // A secret finding and the index of the layer that added it.
  struct held_secret {
    size_t layer = 0;
    secret_finding found;
  };
  struct held_malware {
    size_t layer = 0;
    malware_finding found;
  };
  struct deferred_file {
    std::shared_ptr<const std::string> content;
    std::vector<size_t> parsers;
  };

  /// Ends a layer still open, noting it was not ended before `before`.
  void end_unended_layer(std::string_view before);
  entry_plan plan(const tar_entry& entry) const;
  bool wanted_by_name(std::string_view path) const;
  bool entry_begin(const tar_entry& entry, entry_plan& out);
  void entry_end(std::string path, std::string content, entry_plan plan);
  void parse_into_record(const std::string& path, const std::string& content,
                         const std::vector<size_t>& parsers, size_t layer);
  /// `path` reaches the file `from` was parsed from: it shares that parse.
  void share_record(const std::string& path, const record& from, size_t layer);
  /// False, noted once, when `path` would be a record past max_records.
  bool room_for_record(std::string_view path);
  /// Holds a file of the open layer until its end; false when over max_deferred_bytes.
  bool defer(std::string path, std::shared_ptr<const std::string> content,
             std::vector<size_t> parsers);
  void flush_deferred();
  /// Deletes what lower layers had at `path` and/or below it (remove_*_bit);
  /// with `any_layer`, also what the open layer put at `path`.
  void remove(std::string_view path, uint8_t bits, bool any_layer);
  /// The OS as the final view known so far says; cached until an OS file changes.
  size_t current_os();
  /// The index of `os` in os_seen_, added when new.
  size_t os_index(const os_info& os);
  void note(std::string text, bool incomplete);
  void scan_secrets(const std::string& path, std::string_view content, size_t layer);
  /// Holds `f` of layer `layer`; false, noted once, past max_secrets.
  bool hold_secret(size_t layer, secret_finding f);
  /// Marks the live secrets at `path` and/or below it deleted by the newest layer.
  void delete_secrets(std::string_view path, uint8_t bits);
  void secrets_incomplete(std::string why);
  /// The malware plan once the first bytes are known (or the whole of a small file).
  malware_read decide_malware(malware_read m, std::string_view head) const;
  void scan_malware(const std::string& path, std::string_view content, const entry_plan& plan,
                    size_t layer);
  bool hold_malware(size_t layer, malware_finding f);
  void malware_incomplete(std::string why);
  void note_unsafe_entries(size_t layer, uint64_t count);
  void record_removal(std::string_view path, uint8_t bits);
  void not_cacheable(std::string why);
  expected<layer_delta> make_delta(size_t layer, uint64_t unsafe_entries);
  /// The delta's paths that lower wanted symlinks point at, as recorded.
  std::vector<std::string> lower_link_targets(
    const std::vector<std::pair<std::string, uint8_t>>& removals, size_t layer) const;

  analysis_limits limits_;
  std::vector<std::unique_ptr<cataloger>> catalogers_;
  std::vector<std::string> layers_;
  std::unique_ptr<layer_walk> walk_;
  // Packages in the parsed files alive: declared before the records, whose
  // parsed files count themselves out of it when they go.
  uint64_t held_packages_ = 0;
  overlay_fs fs_;
  std::map<std::string, record, std::less<>> records_;
  std::map<std::string, deferred_file, std::less<>> deferred_; // the open layer's, OS unknown
  uint64_t deferred_bytes_ = 0; // each content once, however many hardlinks share it
  std::map<const std::string*, size_t> deferred_uses_; // content -> its deferred paths
  // Wanted because a wanted symlink points there -> the layer that added it.
  std::map<std::string, size_t, std::less<>> link_targets_;
  static constexpr size_t max_link_targets = 10000;
  std::vector<os_info> os_seen_;
  bool os_dirty_ = true;
  std::vector<std::string> notes_;
  uint64_t notes_dropped_ = 0;     // past max_notes
  bool records_full_ = false;      // max_records was reached and noted
  bool complete_ = true;
  bool layer_error_noted_ = false; // the open layer's error is in notes_
  bool layer_complete_ = true;     // the open layer made nothing incomplete
  bool symlinks_full_ = false;     // max_symlinks was reached and noted
  std::unique_ptr<delta_recorder> recorder_;
  std::shared_ptr<const secret_scanner> secret_scanner_;
  std::vector<held_secret> secrets_;
  std::multimap<std::string, size_t, std::less<>> live_secrets_; // location -> index, not deleted
  bool secrets_complete_ = true;
  bool secrets_full_ = false; // max_secrets was reached and noted
  std::shared_ptr<const malware_scanner> malware_scanner_;
  std::vector<held_malware> malware_;
  std::multimap<std::string, size_t, std::less<>> live_malware_; // path -> index, not deleted
  bool malware_complete_ = true;
  bool malware_full_ = false;
  expected<layer_delta> delta_ = make_error("no layer was walked with record_delta");
};

} // namespace regscan
