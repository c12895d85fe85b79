/*
 * Test double for libale_c.so: the same C ABI as the MoeScratch shim (Ale.Interop/native/ale_c_shim.cpp) over a tiny
 * deterministic "game", so the tests exercise the real P/Invoke path, marshalling, the error channel, the ROM guard
 * and the preprocessing without ALE. Compiled by the tests with `cc -shared -fPIC`.
 *
 * The game: a 210x160 grayscale screen, black except
 *   - an 8x10 block of value 200 at rows 100..109, columns x..x+7; RIGHT (3) moves it +1 column per frame, LEFT (4) -1;
 *   - pixel (0, 0) = episode frame number & 0xFF (shows which frame a screen came from).
 * FIRE (1) earns reward 1 per frame. The player starts with 3 lives and loses one every `fake_life_frames` (default
 * 100) episode frames; the game is over when lives reach 0. max_num_frames_per_episode > 0 truncates.
 * Errors: unknown setting keys, a repeat_action_probability outside [0, 1], and a ROM file starting with "FAIL" set the
 * last error, as the shim does for a caught C++ exception.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 160
#define H 210
#define EXPORT __attribute__((visibility("default")))

typedef struct {
  int random_seed, frame_skip, max_frames, life_frames;
  float repeat_prob;
  unsigned char color_avg;
  int loaded, frame, ep_frame, x, lives, over;
} Fake;

static _Thread_local char last_error[512];
static int load_count;

static void set_error(const char* fmt, const char* arg) { snprintf(last_error, sizeof last_error, fmt, arg); }

static int copy_out(const char* s, char* buf, int len) {
  int n = (int)strlen(s);
  if (buf && len > 0) {
    int m = n < len - 1 ? n : len - 1;
    memcpy(buf, s, (size_t)m);
    buf[m] = '\0';
  }
  return n;
}

EXPORT Fake* ALE_new(void) {
  Fake* f = calloc(1, sizeof(Fake));
  f->random_seed = -1;
  f->frame_skip = 1;
  f->repeat_prob = 0.25f;
  f->life_frames = 100;
  return f;
}
EXPORT void ALE_del(Fake* f) { free(f); }
EXPORT int ALE_getLastError(char* buf, int len) { return copy_out(last_error, buf, len); }
EXPORT void ALE_clearLastError(void) { last_error[0] = '\0'; }
EXPORT int ALE_version(char* buf, int len) { return copy_out("fake-1", buf, len); }
/* Test-only probe: how many times loadROM reached native code (the ROM guard must prevent bad calls). */
EXPORT int fake_load_count(void) { return load_count; }

static int* int_key(Fake* f, const char* key) {
  if (!strcmp(key, "random_seed")) return &f->random_seed;
  if (!strcmp(key, "frame_skip")) return &f->frame_skip;
  if (!strcmp(key, "max_num_frames_per_episode")) return &f->max_frames;
  if (!strcmp(key, "fake_life_frames")) return &f->life_frames;
  return NULL;
}
EXPORT void setInt(Fake* f, const char* key, int v) {
  int* p = int_key(f, key);
  if (p) *p = v; else set_error("setInt: unknown key '%s'", key);
}
EXPORT int getInt(Fake* f, const char* key) {
  int* p = int_key(f, key);
  if (p) return *p;
  set_error("getInt: unknown key '%s'", key);
  return 0;
}
EXPORT void setFloat(Fake* f, const char* key, float v) {
  if (strcmp(key, "repeat_action_probability")) { set_error("setFloat: unknown key '%s'", key); return; }
  if (v < 0.0f || v > 1.0f) { set_error("setFloat: %s must be in [0, 1]", key); return; }
  f->repeat_prob = v;
}
EXPORT float getFloat(Fake* f, const char* key) {
  if (!strcmp(key, "repeat_action_probability")) return f->repeat_prob;
  set_error("getFloat: unknown key '%s'", key);
  return 0.0f;
}
EXPORT void setBool(Fake* f, const char* key, unsigned char v) {
  if (!strcmp(key, "color_averaging")) f->color_avg = v; else set_error("setBool: unknown key '%s'", key);
}
EXPORT unsigned char getBool(Fake* f, const char* key) {
  if (!strcmp(key, "color_averaging")) return f->color_avg;
  set_error("getBool: unknown key '%s'", key);
  return 0;
}
EXPORT void setString(Fake* f, const char* key, const char* v) { (void)f; (void)v; set_error("setString: unknown key '%s'", key); }

EXPORT void reset_game(Fake* f) { f->ep_frame = 0; f->x = 0; f->lives = 3; f->over = 0; }

EXPORT void loadROM(Fake* f, const char* path) {
  char head[4] = {0};
  FILE* fp;
  load_count++;
  fp = fopen(path, "rb");
  if (!fp) { set_error("loadROM: cannot open '%s'", path); return; }
  if (fread(head, 1, 4, fp) == 4 && !memcmp(head, "FAIL", 4)) {
    fclose(fp);
    set_error("loadROM: corrupt ROM '%s'", path);
    return;
  }
  fclose(fp);
  f->loaded = 1;
  reset_game(f);
}

static int truncated(Fake* f) { return f->max_frames > 0 && f->ep_frame >= f->max_frames; }
EXPORT unsigned char game_terminated(Fake* f) { return (unsigned char)f->over; }
EXPORT unsigned char game_truncated(Fake* f) { return (unsigned char)truncated(f); }
EXPORT unsigned char game_over(Fake* f) { return (unsigned char)(f->over || truncated(f)); }

EXPORT int act(Fake* f, int a) {
  if (!f->loaded || game_over(f)) return 0;
  f->frame++;
  f->ep_frame++;
  if (a == 3 && f->x < W - 8) f->x++;
  if (a == 4 && f->x > 0) f->x--;
  if (f->life_frames > 0 && f->ep_frame % f->life_frames == 0) {
    f->lives--;
    if (f->lives == 0) f->over = 1;
  }
  return a == 1 ? 1 : 0;
}

EXPORT int lives(Fake* f) { return f->lives; }
EXPORT int getFrameNumber(Fake* f) { return f->frame; }
EXPORT int getEpisodeFrameNumber(Fake* f) { return f->ep_frame; }

static const int minimal[] = {0, 1, 3, 4};
EXPORT int getMinimalActionSize(Fake* f) { (void)f; return 4; }
EXPORT void getMinimalActionSet(Fake* f, int* out) { (void)f; memcpy(out, minimal, sizeof minimal); }
EXPORT int getLegalActionSize(Fake* f) { (void)f; return 18; }
EXPORT void getLegalActionSet(Fake* f, int* out) { (void)f; for (int i = 0; i < 18; i++) out[i] = i; }

EXPORT int getScreenWidth(Fake* f) { (void)f; return W; }
EXPORT int getScreenHeight(Fake* f) { (void)f; return H; }
EXPORT void getScreenGrayscale(Fake* f, unsigned char* out) {
  memset(out, 0, W * H);
  for (int r = 100; r < 110; r++) memset(out + r * W + f->x, 200, 8);
  out[0] = (unsigned char)(f->ep_frame & 0xFF);
}
EXPORT void getScreenRGB(Fake* f, unsigned char* out) {
  unsigned char gray[W * H];
  getScreenGrayscale(f, gray);
  for (int i = 0; i < W * H; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = gray[i];
}

/* States: a heap copy of the whole struct; the encoding is its raw bytes behind a 4-byte tag. */
EXPORT Fake* cloneSystemState(Fake* f) { Fake* s = malloc(sizeof(Fake)); *s = *f; return s; }
EXPORT void restoreSystemState(Fake* f, Fake* s) { *f = *s; }
EXPORT void deleteState(Fake* s) { free(s); }
EXPORT int encodeStateLen(Fake* s) { (void)s; return (int)(4 + sizeof(Fake)); }
EXPORT void encodeState(Fake* s, char* buf, int len) {
  if (len < (int)(4 + sizeof(Fake))) { set_error("encodeState: %s", "buffer too small"); return; }
  memcpy(buf, "FAKE", 4);
  memcpy(buf + 4, s, sizeof(Fake));
}
EXPORT Fake* decodeState(const char* buf, int len) {
  Fake* s;
  if (len != (int)(4 + sizeof(Fake)) || memcmp(buf, "FAKE", 4)) { set_error("decodeState: %s", "not a fake state"); return NULL; }
  s = malloc(sizeof(Fake));
  memcpy(s, buf + 4, sizeof(Fake));
  return s;
}
