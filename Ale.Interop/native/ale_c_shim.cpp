// MoeScratch extern "C" shim over the ALE C++ class (ale::ALEInterface, ALE 0.7 .. 0.12).
//
// Why: ALE removed its C wrapper (libale_c.so) before 0.7.0, and a C++ class
// cannot be P/Invoked. This file restores a C ABI. Names and signatures follow the legacy wrapper
// (ALE 0.6.1 ale_c_wrapper.h) so that a legacy libale_c.so also satisfies the C# declarations; the additions
// (last-error channel, game_terminated/game_truncated, isSupportedROM, ALE_version, ...) are this shim's own.
//
// Every export runs inside try/catch: a C++ exception crossing the C boundary is undefined behaviour and
// in practice kills the .NET process. The message of a caught exception is kept as
// the thread's "last error", read with ALE_getLastError. std::exit in loadROM cannot be caught, which is
// why the C# side validates the ROM (existence, MD5) before calling loadROM.
#include <ale/ale_interface.hpp>

#include <cstring>
#include <exception>
#include <string>
#include <vector>

#define SHIM_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

thread_local std::string g_last_error;

void set_error(const char* where, const char* what) {
  g_last_error = std::string(where) + ": " + what;
}

// Copies s into buf (NUL-terminated, truncated to len-1) and returns the full length of s, so that a
// caller can size the buffer and call again.
int copy_out(const std::string& s, char* buf, int len) {
  if (buf != nullptr && len > 0) {
    const size_t n = s.size() < static_cast<size_t>(len - 1) ? s.size() : static_cast<size_t>(len - 1);
    std::memcpy(buf, s.data(), n);
    buf[n] = '\0';
  }
  return static_cast<int>(s.size());
}

void copy_actions(const ale::ActionVect& v, int* out) {
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<int>(v[i]);
}

}  // namespace

// Runs BODY; on a C++ exception records the message and returns FALLBACK.
#define GUARD(NAME, FALLBACK, BODY)                                 \
  try {                                                             \
    BODY                                                            \
  } catch (const std::exception& e) {                               \
    set_error(NAME, e.what());                                      \
    return FALLBACK;                                                \
  } catch (...) {                                                   \
    set_error(NAME, "unknown C++ exception");                       \
    return FALLBACK;                                                \
  }

#define GUARD_VOID(NAME, BODY)                                      \
  try {                                                             \
    BODY                                                            \
  } catch (const std::exception& e) {                               \
    set_error(NAME, e.what());                                      \
  } catch (...) {                                                   \
    set_error(NAME, "unknown C++ exception");                       \
  }

using ale::ALEInterface;
using ale::ALEState;

// ---- lifetime ------------------------------------------------------------------------------------
SHIM_EXPORT ALEInterface* ALE_new() {
  GUARD("ALE_new", nullptr, {
    // ALE's Info logging prints a banner and "Sending Reset..." on stderr.
    ale::Logger::setMode(ale::Logger::Error);
    return new ALEInterface();
  })
}
SHIM_EXPORT void ALE_del(ALEInterface* ale) { GUARD_VOID("ALE_del", { delete ale; }) }

// ---- error channel (new) ---------------------------------------------------------------------------
SHIM_EXPORT int ALE_getLastError(char* buf, int len) { return copy_out(g_last_error, buf, len); }
SHIM_EXPORT void ALE_clearLastError() { g_last_error.clear(); }
SHIM_EXPORT int ALE_version(char* buf, int len) { return copy_out(ALE_VERSION, buf, len); }

// ---- settings (effective at the next loadROM) -------------------------------------------------------
SHIM_EXPORT int getInt(ALEInterface* ale, const char* key) { GUARD("getInt", 0, { return ale->getInt(key); }) }
SHIM_EXPORT bool getBool(ALEInterface* ale, const char* key) { GUARD("getBool", false, { return ale->getBool(key); }) }
SHIM_EXPORT float getFloat(ALEInterface* ale, const char* key) { GUARD("getFloat", 0.0f, { return ale->getFloat(key); }) }
// Replaces the legacy getString, whose result dangled: copies into the caller's buffer.
SHIM_EXPORT int getStringInto(ALEInterface* ale, const char* key, char* buf, int len) {
  GUARD("getStringInto", -1, { return copy_out(ale->getString(key), buf, len); })
}
SHIM_EXPORT void setString(ALEInterface* ale, const char* key, const char* value) {
  GUARD_VOID("setString", { ale->setString(key, value); })
}
SHIM_EXPORT void setInt(ALEInterface* ale, const char* key, int value) { GUARD_VOID("setInt", { ale->setInt(key, value); }) }
SHIM_EXPORT void setBool(ALEInterface* ale, const char* key, bool value) { GUARD_VOID("setBool", { ale->setBool(key, value); }) }
SHIM_EXPORT void setFloat(ALEInterface* ale, const char* key, float value) { GUARD_VOID("setFloat", { ale->setFloat(key, value); }) }
SHIM_EXPORT void setLoggerMode(int mode) {
  GUARD_VOID("setLoggerMode", { ale::Logger::setMode(static_cast<ale::Logger::mode>(mode)); })
}

// ---- ROM and episode ---------------------------------------------------------------------------------
SHIM_EXPORT void loadROM(ALEInterface* ale, const char* path) { GUARD_VOID("loadROM", { ale->loadROM(path); }) }
SHIM_EXPORT int isSupportedROM(const char* path, char* buf, int len) {
  GUARD("isSupportedROM", -1, {
    auto id = ALEInterface::isSupportedROM(path);
    return id ? copy_out(*id, buf, len) : 0;
  })
}
SHIM_EXPORT int act(ALEInterface* ale, int action) {
  GUARD("act", 0, { return ale->act(static_cast<ale::Action>(action), 1.0f); })
}
SHIM_EXPORT int actWithStrength(ALEInterface* ale, int action, float strength) {
  GUARD("actWithStrength", 0, { return ale->act(static_cast<ale::Action>(action), strength); })
}
SHIM_EXPORT bool game_over(ALEInterface* ale) { GUARD("game_over", true, { return ale->game_over(true); }) }
SHIM_EXPORT bool game_terminated(ALEInterface* ale) { GUARD("game_terminated", true, { return ale->game_over(false); }) }
SHIM_EXPORT bool game_truncated(ALEInterface* ale) { GUARD("game_truncated", false, { return ale->game_truncated(); }) }
SHIM_EXPORT void reset_game(ALEInterface* ale) { GUARD_VOID("reset_game", { ale->reset_game(); }) }
SHIM_EXPORT int lives(ALEInterface* ale) { GUARD("lives", 0, { return ale->lives(); }) }
SHIM_EXPORT int getFrameNumber(ALEInterface* ale) { GUARD("getFrameNumber", 0, { return ale->getFrameNumber(); }) }
SHIM_EXPORT int getEpisodeFrameNumber(ALEInterface* ale) {
  GUARD("getEpisodeFrameNumber", 0, { return ale->getEpisodeFrameNumber(); })
}

// ---- modes and difficulties (setMode/setDifficulty throw on invalid values) -----------------------
SHIM_EXPORT int getAvailableModesSize(ALEInterface* ale) {
  GUARD("getAvailableModesSize", 0, { return static_cast<int>(ale->getAvailableModes().size()); })
}
SHIM_EXPORT void getAvailableModes(ALEInterface* ale, int* out) {
  GUARD_VOID("getAvailableModes", {
    auto v = ale->getAvailableModes();
    for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<int>(v[i]);
  })
}
SHIM_EXPORT void setMode(ALEInterface* ale, int mode) { GUARD_VOID("setMode", { ale->setMode(static_cast<ale::game_mode_t>(mode)); }) }
SHIM_EXPORT int getMode(ALEInterface* ale) { GUARD("getMode", 0, { return static_cast<int>(ale->getMode()); }) }
SHIM_EXPORT int getAvailableDifficultiesSize(ALEInterface* ale) {
  GUARD("getAvailableDifficultiesSize", 0, { return static_cast<int>(ale->getAvailableDifficulties().size()); })
}
SHIM_EXPORT void getAvailableDifficulties(ALEInterface* ale, int* out) {
  GUARD_VOID("getAvailableDifficulties", {
    auto v = ale->getAvailableDifficulties();
    for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<int>(v[i]);
  })
}
SHIM_EXPORT void setDifficulty(ALEInterface* ale, int d) {
  GUARD_VOID("setDifficulty", { ale->setDifficulty(static_cast<ale::difficulty_t>(d)); })
}
SHIM_EXPORT int getDifficulty(ALEInterface* ale) { GUARD("getDifficulty", 0, { return static_cast<int>(ale->getDifficulty()); }) }

// ---- action sets (copied into the caller's int buffer) ------------------------------------------------
SHIM_EXPORT int getLegalActionSize(ALEInterface* ale) {
  GUARD("getLegalActionSize", 0, { return static_cast<int>(ale->getLegalActionSet().size()); })
}
SHIM_EXPORT void getLegalActionSet(ALEInterface* ale, int* out) {
  GUARD_VOID("getLegalActionSet", { copy_actions(ale->getLegalActionSet(), out); })
}
SHIM_EXPORT int getMinimalActionSize(ALEInterface* ale) {
  GUARD("getMinimalActionSize", 0, { return static_cast<int>(ale->getMinimalActionSet().size()); })
}
SHIM_EXPORT void getMinimalActionSet(ALEInterface* ale, int* out) {
  GUARD_VOID("getMinimalActionSet", { copy_actions(ale->getMinimalActionSet(), out); })
}

// ---- screen and RAM ------------------------------------------------------------------------------------
SHIM_EXPORT int getScreenWidth(ALEInterface* ale) { GUARD("getScreenWidth", 0, { return static_cast<int>(ale->getScreen().width()); }) }
SHIM_EXPORT int getScreenHeight(ALEInterface* ale) { GUARD("getScreenHeight", 0, { return static_cast<int>(ale->getScreen().height()); }) }
SHIM_EXPORT void getScreen(ALEInterface* ale, unsigned char* out) {
  GUARD_VOID("getScreen", {
    const auto& s = ale->getScreen();
    std::memcpy(out, s.getArray(), s.width() * s.height());
  })
}
SHIM_EXPORT void getScreenGrayscale(ALEInterface* ale, unsigned char* out) {
  GUARD_VOID("getScreenGrayscale", {
    const auto& s = ale->getScreen();
    std::vector<unsigned char> buf(s.width() * s.height());
    ale->getScreenGrayscale(buf);
    std::memcpy(out, buf.data(), buf.size());
  })
}
SHIM_EXPORT void getScreenRGB(ALEInterface* ale, unsigned char* out) {
  GUARD_VOID("getScreenRGB", {
    const auto& s = ale->getScreen();
    std::vector<unsigned char> buf(s.width() * s.height() * 3);
    ale->getScreenRGB(buf);
    std::memcpy(out, buf.data(), buf.size());
  })
}
SHIM_EXPORT int getRAMSize(ALEInterface* ale) { GUARD("getRAMSize", 0, { return static_cast<int>(ale->getRAM().size()); }) }
SHIM_EXPORT void getRAM(ALEInterface* ale, unsigned char* out) {
  GUARD_VOID("getRAM", {
    const auto& r = ale->getRAM();
    std::memcpy(out, r.array(), r.size());
  })
}
SHIM_EXPORT void setRAM(ALEInterface* ale, int index, int value) {
  GUARD_VOID("setRAM", { ale->setRAM(static_cast<size_t>(index), static_cast<ale::byte_t>(value)); })
}
SHIM_EXPORT void saveScreenPNG(ALEInterface* ale, const char* file) { GUARD_VOID("saveScreenPNG", { ale->saveScreenPNG(file); }) }

// ---- states (legacy names; opaque heap ALEState*, freed with deleteState) -------------------------------
// cloneState leaves out the RNG (sticky actions); cloneSystemState includes it, which bit-exact resume needs.
SHIM_EXPORT ALEState* cloneState(ALEInterface* ale) { GUARD("cloneState", nullptr, { return new ALEState(ale->cloneState(false)); }) }
SHIM_EXPORT ALEState* cloneSystemState(ALEInterface* ale) {
  GUARD("cloneSystemState", nullptr, { return new ALEState(ale->cloneState(true)); })
}
SHIM_EXPORT void restoreState(ALEInterface* ale, ALEState* state) { GUARD_VOID("restoreState", { ale->restoreState(*state); }) }
SHIM_EXPORT void restoreSystemState(ALEInterface* ale, ALEState* state) {
  GUARD_VOID("restoreSystemState", { ale->restoreState(*state); })
}
SHIM_EXPORT void deleteState(ALEState* state) { GUARD_VOID("deleteState", { delete state; }) }
SHIM_EXPORT int encodeStateLen(ALEState* state) { GUARD("encodeStateLen", -1, { return static_cast<int>(state->serialize().size()); }) }
// Legacy semantics: the buffer must hold encodeStateLen bytes (checked here instead of throwing).
SHIM_EXPORT void encodeState(ALEState* state, char* buf, int len) {
  GUARD_VOID("encodeState", {
    std::string s = state->serialize();
    if (static_cast<size_t>(len) < s.size()) {
      set_error("encodeState", "buffer smaller than encodeStateLen");
      return;
    }
    std::memcpy(buf, s.data(), s.size());
  })
}
SHIM_EXPORT ALEState* decodeState(const char* buf, int len) {
  GUARD("decodeState", nullptr, { return new ALEState(std::string(buf, static_cast<size_t>(len))); })
}
