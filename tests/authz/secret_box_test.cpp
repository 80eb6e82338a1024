#include "cairn/authz/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "cairn/catalog/error.h"

namespace cairn::authz {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cairn-authz-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorCode::Internal;
}

TEST(SecretBox, RoundTrip) {
  const SecretBox box(std::string(32, 'k'));
  for (const std::string& plain :
       {std::string(), std::string("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), std::string(1000, '\0')}) {
    const std::string sealed = box.seal(plain);
    EXPECT_EQ(box.open(sealed), plain);
    EXPECT_EQ(sealed.find("wJalrXUtnFEMI"), std::string::npos);
  }
  // A fresh nonce each time: the same plaintext seals differently.
  EXPECT_NE(box.seal("same"), box.seal("same"));
}

TEST(SecretBox, SealedFormIsVersionNonceCiphertextTag) {
  const SecretBox box(std::string(32, 'k'));
  const std::string sealed = box.seal("0123456789");
  // base64 of 1 + 12 + 10 + 16 = 39 bytes is 52 characters.
  EXPECT_EQ(sealed.size(), 52u);
  EXPECT_EQ(sealed.substr(0, 1), "A");  // first 6 bits of the version byte 0x01
}

TEST(SecretBox, TamperingIsDetected) {
  const SecretBox box(std::string(32, 'k'));
  const std::string sealed = box.seal("a secret access key");
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string altered = sealed;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(code_of([&] { box.open(altered); }), ErrorCode::Internal) << i;
  }
  EXPECT_EQ(code_of([&] { box.open(sealed.substr(0, 20)); }), ErrorCode::Internal);
  EXPECT_EQ(code_of([&] { box.open("not base64 !"); }), ErrorCode::Internal);
  EXPECT_EQ(code_of([&] { box.open(""); }), ErrorCode::Internal);
}

TEST(SecretBox, WrongKeyIsRefused) {
  const SecretBox box(std::string(32, 'k'));
  const SecretBox other(std::string(32, 'x'));
  const std::string sealed = box.seal("a secret access key");
  try {
    other.open(sealed);
    FAIL() << "opened under another key";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
    EXPECT_NE(std::string(e.what()).find("another master key"), std::string::npos);
  }
}

TEST(SecretBox, KeyMustBe32Bytes) {
  EXPECT_EQ(code_of([] { SecretBox box(std::string(31, 'k')); }), ErrorCode::InvalidArgument);
}

TEST(SecretBox, KeyFileIsCreatedWithMode0600AndReloaded) {
  TempDir dir;
  const std::string path = (dir.path() / "nested" / "master.key").string();
  EXPECT_EQ(code_of([&] { SecretBox::from_key_file(path, false); }), ErrorCode::FailedPrecondition);

  const SecretBox created = SecretBox::from_key_file(path, true);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text.size(), 64u);
  EXPECT_EQ(text.find_first_not_of("0123456789abcdef"), std::string::npos);

  const std::string sealed = created.seal("persisted");
  const SecretBox reloaded = SecretBox::from_key_file(path, true);
  EXPECT_EQ(reloaded.open(sealed), "persisted");
  EXPECT_EQ(SecretBox::from_key_file(path, false).open(sealed), "persisted");
}

TEST(SecretBox, MalformedKeyFileIsRefused) {
  TempDir dir;
  const std::string path = (dir.path() / "master.key").string();
  for (const std::string& content : {std::string("abc"), std::string(64, 'g'), std::string(66, 'a')}) {
    std::ofstream(path, std::ios::trunc) << content;
    ::chmod(path.c_str(), 0600);
    EXPECT_EQ(code_of([&] { SecretBox::from_key_file(path, true); }), ErrorCode::FailedPrecondition)
        << content;
  }
  // Upper-case hex with a trailing newline is a valid key; a group-readable file is accepted (with a
  // warning).
  std::ofstream(path, std::ios::trunc) << std::string(64, 'A') << "\n";
  ::chmod(path.c_str(), 0644);
  const SecretBox box = SecretBox::from_key_file(path, false);
  EXPECT_EQ(box.open(SecretBox(std::string(32, '\xaa')).seal("x")), "x");
}

}  // namespace
}  // namespace cairn::authz
