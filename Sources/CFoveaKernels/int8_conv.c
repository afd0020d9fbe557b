// Int8 convolution for quantized inference (TFLite's integer scheme):
// asymmetric int8 input (zero point zp_in), symmetric per-output-channel int8
// weights, int32 bias, int32 accumulation, then each channel's real
// multiplier (input scale × weight scale / output scale), rounding half away
// from zero, the output zero point and a clamp. NHWC in and out, weights
// [filters][kh][kw][c]; padding reads the input zero point (real 0).
//
// Two implementations with the same results bit for bit:
// - fovea_q8_conv_reference, the plain loop written to match TFLite, kept as
//   the oracle the fast one is tested against;
// - the fast path: filters packed once (fovea_q8_filters_pack), the input
//   copied once per call into a padded buffer (fovea_q8_prepare_input: border
//   at the zero point, channels rounded up), then register tiles of up to 12
//   output pixels × 32 filters accumulate over every tap and channel
//   (fovea_q8_conv_packed). The accumulation is integer, so its order changes
//   nothing (sums wrap mod 2^32 like the reference's); the requantization
//   computes the same double product and rounds it the same way.
//   Instruction sets, picked at run time (the intrinsics need their own
//   target attributes, so these are not target_clones):
//     vnni     AVX-512 VNNI vpdpbusd: u8 (input + 128) × s8 weights, four
//              products a lane, the +128 taken out with each filter's weight
//              sum; exact (no saturation).
//     avx2     inputs widened to int16 (x − zp_in), vpmaddwd: two products a
//              lane, |(x − zp)·w| ≤ 255·128, so the pair never saturates.
//     generic  the int16 input, each filter's taps contiguous, plain C.
#include "fovea_kernels.h"
#include "vector.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

void fovea_q8_conv_reference(const int8_t *x, long n, long h, long w, long c, int zp_in,
                             const int8_t *weights, const int32_t *bias, long kh, long kw, long stride,
                             long pad_top, long pad_left, long out_h, long out_w, long filters,
                             const double *multiplier, int zp_out, int qmin, int qmax, int8_t *y) {
    const long k = kh * kw * c;
    int16_t *patch = malloc(sizeof(int16_t) * (size_t)k);
    for (long img = 0; img < n; img++) {
        const int8_t *xi = x + img * h * w * c;
        for (long oy = 0; oy < out_h; oy++) {
            for (long ox = 0; ox < out_w; ox++) {
                long p = 0;
                for (long ky = 0; ky < kh; ky++) {
                    long iy = oy * stride + ky - pad_top;
                    for (long kx = 0; kx < kw; kx++) {
                        long ix = ox * stride + kx - pad_left;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                            memset(patch + p, 0, sizeof(int16_t) * (size_t)c);
                        } else {
                            const int8_t *src = xi + (iy * w + ix) * c;
                            for (long ch = 0; ch < c; ch++) patch[p + ch] = (int16_t)(src[ch] - zp_in);
                        }
                        p += c;
                    }
                }
                int8_t *out = y + ((img * out_h + oy) * out_w + ox) * filters;
                for (long f = 0; f < filters; f++) {
                    const int8_t *wf = weights + f * k;
                    int32_t acc = 0;
                    for (long i = 0; i < k; i++) acc += (int32_t)patch[i] * (int32_t)wf[i];
                    acc += bias[f];
                    double v = round((double)acc * multiplier[f]) + zp_out;
                    if (v < qmin) v = qmin;
                    if (v > qmax) v = qmax;
                    out[f] = (int8_t)v;
                }
            }
        }
    }
    free(patch);
}

// ---- Fast path ----

struct fovea_q8_filters {
    int isa;
    long filters, kh, kw, c;
    long cp;      // channels in the padded layouts: c rounded up to 4 (vnni) or 2
    long block;   // filters a block: 32 (vnni) or 16
    long blocks;
    long k;       // kh * kw * cp
    int32_t *sums; // Σ w per filter (vnni: undoes the +128 of the inputs)
    void *packed;  // vnni: int8 [block][k / 4][32][4]; avx2: int16 [block][k / 2][16][2]; generic: int16 [filter][k]
};

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define AVX2_TARGET __attribute__((target("avx2,fma")))

int fovea_q8_best_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        return FOVEA_Q8_VNNI;
    if (__builtin_cpu_supports("avx2")) return FOVEA_Q8_AVX2;
#endif
    return FOVEA_Q8_GENERIC;
}

const char *fovea_q8_isa_name(int isa) {
    switch (isa) {
    case FOVEA_Q8_VNNI: return "avx512-vnni";
    case FOVEA_Q8_AVX2: return "avx2";
    default: return "generic";
    }
}

fovea_q8_filters *fovea_q8_filters_pack(const int8_t *weights, long filters, long kh, long kw, long c, int isa) {
    const int best = fovea_q8_best_isa();
    if (isa < 0) isa = best;
    if (isa > best || filters < 1 || kh < 1 || kw < 1 || c < 1) return NULL;
    fovea_q8_filters *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->isa = isa;
    f->filters = filters, f->kh = kh, f->kw = kw, f->c = c;
    const long group = isa == FOVEA_Q8_VNNI ? 4 : 2;
    f->cp = (c + group - 1) / group * group;
    f->block = isa == FOVEA_Q8_VNNI ? 32 : 16;
    f->blocks = (filters + f->block - 1) / f->block;
    f->k = kh * kw * f->cp;
    const size_t values = (size_t)(f->blocks * f->block * f->k);
    f->sums = calloc((size_t)(f->blocks * f->block), sizeof(int32_t));
    f->packed = calloc(values, isa == FOVEA_Q8_VNNI ? 1 : 2);
    if (!f->sums || !f->packed) {
        fovea_q8_filters_free(f);
        return NULL;
    }
    for (long o = 0; o < filters; o++) {
        const long blk = o / f->block, j = o % f->block;
        int32_t sum = 0;
        for (long t = 0; t < kh * kw; t++) {
            for (long ch = 0; ch < c; ch++) {
                const int8_t v = weights[(o * kh * kw + t) * c + ch];
                const long kk = t * f->cp + ch;  // position along the padded depth
                const size_t at = isa == FOVEA_Q8_GENERIC ? (size_t)(o * f->k + kk)
                                  : (size_t)((blk * f->k + kk / group * group) * f->block + j * group + kk % group);
                if (isa == FOVEA_Q8_VNNI) ((int8_t *)f->packed)[at] = v;
                else ((int16_t *)f->packed)[at] = v;
                sum += v;
            }
        }
        f->sums[o] = sum;
    }
    return f;
}

void fovea_q8_filters_free(fovea_q8_filters *f) {
    if (!f) return;
    free(f->sums);
    free(f->packed);
    free(f);
}

int fovea_q8_filters_isa(const fovea_q8_filters *f) { return f->isa; }

// The padded input holds, per image, rows 0..<hp and columns 0..<wp with
// input (iy, ix) at (iy + pad_top, ix + pad_left): every tap of every output
// pixel reads inside it, so the tiles need no bounds checks.
INLINE long padded_h(const fovea_q8_geometry *g) {
    const long need = (g->out_h - 1) * g->stride + g->kh, have = g->pad_top + g->h;
    return need > have ? need : have;
}
INLINE long padded_w(const fovea_q8_geometry *g) {
    const long need = (g->out_w - 1) * g->stride + g->kw, have = g->pad_left + g->w;
    return need > have ? need : have;
}

size_t fovea_q8_input_bytes(const fovea_q8_filters *f, const fovea_q8_geometry *g, long n) {
    return (size_t)(n * padded_h(g) * padded_w(g) * f->cp) * (f->isa == FOVEA_Q8_VNNI ? 1 : 2);
}

int fovea_q8_accepts(const fovea_q8_filters *f, const fovea_q8_geometry *g, int zp_in, int zp_out, int qmin, int qmax) {
    if (g->kh != f->kh || g->kw != f->kw || g->c != f->c || g->stride < 1 || g->pad_top < 0 || g->pad_left < 0 ||
        g->out_h < 1 || g->out_w < 1)
        return 0;
    // Q8_LIMIT below assumes an int8 clamp and a zero point far below it.
    if (qmin < -128 || qmax > 127 || qmin > qmax || zp_out < -65536 || zp_out > 65536) return 0;
    // vnni keeps zp_in + 128 as a byte; the others x − zp_in as an int16.
    if (f->isa == FOVEA_Q8_VNNI) return zp_in >= -128 && zp_in <= 127;
    return zp_in >= -32640 && zp_in <= 32639;
}

CLONES
void fovea_q8_prepare_input(const fovea_q8_filters *f, const fovea_q8_geometry *g, const int8_t *x, int zp_in,
                            long img_begin, long img_end, void *padded) {
    const long hp = padded_h(g), wp = padded_w(g), cp = f->cp, c = g->c;
    for (long img = img_begin; img < img_end; img++) {
        const int8_t *xi = x + img * g->h * g->w * c;
        if (f->isa == FOVEA_Q8_VNNI) {
            uint8_t *d = (uint8_t *)padded + img * hp * wp * cp;
            const uint8_t border = (uint8_t)(zp_in + 128);
            for (long py = 0; py < hp; py++) {
                const long iy = py - g->pad_top;
                for (long px = 0; px < wp; px++, d += cp) {
                    const long ix = px - g->pad_left;
                    if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) {
                        memset(d, border, (size_t)c);
                    } else {
                        const int8_t *s = xi + (iy * g->w + ix) * c;
                        for (long ch = 0; ch < c; ch++) d[ch] = (uint8_t)(s[ch] + 128);
                    }
                    for (long ch = c; ch < cp; ch++) d[ch] = 0;
                }
            }
        } else {
            int16_t *d = (int16_t *)padded + img * hp * wp * cp;
            for (long py = 0; py < hp; py++) {
                const long iy = py - g->pad_top;
                for (long px = 0; px < wp; px++, d += cp) {
                    const long ix = px - g->pad_left;
                    if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) {
                        memset(d, 0, sizeof(int16_t) * (size_t)cp);
                    } else {
                        const int8_t *s = xi + (iy * g->w + ix) * c;
                        for (long ch = 0; ch < c; ch++) d[ch] = (int16_t)(s[ch] - zp_in);
                        for (long ch = c; ch < cp; ch++) d[ch] = 0;
                    }
                }
            }
        }
    }
}

// Where output pixel m (over the whole batch) reads its first tap, in
// elements of the padded buffer.
INLINE long pixel_origin(const fovea_q8_geometry *g, long hp, long wp, long cp, long m) {
    const long per = g->out_h * g->out_w, img = m / per, r = m % per, oy = r / g->out_w, ox = r % g->out_w;
    return ((img * hp + oy * g->stride) * wp + ox * g->stride) * cp;
}

// The requantization of the reference, one value.
INLINE int8_t requantize(int32_t acc, double multiplier, int zp_out, int qmin, int qmax) {
    double v = round((double)acc * multiplier) + zp_out;
    if (v < qmin) v = qmin;
    if (v > qmax) v = qmax;
    return (int8_t)v;
}

// Values beyond ±2^20 clamp to qmin or qmax whatever the zero point (both
// within int8), so clamping the product there first changes no result and
// keeps it within int32 for the conversions.
#define Q8_LIMIT 1048576.0

#if defined(__x86_64__)

// ---- AVX-512 VNNI ----

// Requantizes 16 accumulators (+ corr) for filters at `mult` and stores the
// lanes in `mask`.
VNNI_TARGET INLINE void vnni_store(__m512i acc, __m512i corr, __m512d m_lo, __m512d m_hi, __m512i zp, __m512i lo,
                                   __m512i hi, int8_t *out, __mmask16 mask) {
    const __m512i a = _mm512_add_epi32(acc, corr);
    const __m512d limit = _mm512_set1_pd(Q8_LIMIT), nlimit = _mm512_set1_pd(-Q8_LIMIT);
    const __m512d one = _mm512_set1_pd(1.0), half = _mm512_set1_pd(0.5), nhalf = _mm512_set1_pd(-0.5);
    __m512d v[2] = {_mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(a)), m_lo),
                    _mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(a, 1)), m_hi)};
    __m256i r[2];
    for (int h = 0; h < 2; h++) {
        const __m512d x = _mm512_min_pd(_mm512_max_pd(v[h], nlimit), limit);
        // round half away from zero: the truncation, then ±1 when the
        // (exact) remainder reaches a half.
        __m512d t = _mm512_roundscale_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m512d d = _mm512_sub_pd(x, t);
        t = _mm512_mask_add_pd(t, _mm512_cmp_pd_mask(d, half, _CMP_GE_OQ), t, one);
        t = _mm512_mask_sub_pd(t, _mm512_cmp_pd_mask(d, nhalf, _CMP_LE_OQ), t, one);
        r[h] = _mm512_cvttpd_epi32(t);
    }
    __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(r[0]), r[1], 1);
    q = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(q, zp), lo), hi);
    _mm_mask_storeu_epi8(out, mask, _mm512_cvtepi32_epi8(q));
}

// One tile: P pixels (origins ap) × one block of 16·V filters, all taps.
VNNI_TARGET INLINE void vnni_tile(const int P, const int V, const uint8_t *const *ap, long kh, long seg4, long row,
                                  const int8_t *b, const int32_t *corr, const double *mult, long nf, int zp_out,
                                  int qmin, int qmax, int8_t *const *yp) {
    __m512i acc[12][2];
    for (int i = 0; i < P; i++)
        for (int v = 0; v < V; v++) acc[i][v] = _mm512_setzero_si512();
    for (long ky = 0; ky < kh; ky++) {
        const long off = ky * row;
        const int8_t *bk = b + ky * seg4 * 128;
        for (long kb = 0; kb < seg4; kb++) {
            __m512i bv[2];
            for (int v = 0; v < V; v++) bv[v] = _mm512_loadu_si512(bk + kb * 128 + v * 64);
            for (int i = 0; i < P; i++) {
                int32_t word;
                memcpy(&word, ap[i] + off + kb * 4, 4);
                const __m512i a = _mm512_set1_epi32(word);
                for (int v = 0; v < V; v++) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], a, bv[v]);
            }
        }
    }
    const __m512i zp = _mm512_set1_epi32(zp_out), lo = _mm512_set1_epi32(qmin), hi = _mm512_set1_epi32(qmax);
    for (int v = 0; v < V; v++) {
        const long left = nf - 16 * v;
        const __mmask16 mask = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        const __m512i cv = _mm512_loadu_si512(corr + 16 * v);
        const __m512d m_lo = _mm512_loadu_pd(mult + 16 * v), m_hi = _mm512_loadu_pd(mult + 16 * v + 8);
        for (int i = 0; i < P; i++) vnni_store(acc[i][v], cv, m_lo, m_hi, zp, lo, hi, yp[i] + 16 * v, mask);
    }
}

VNNI_TARGET static void conv_vnni(const fovea_q8_filters *f, const fovea_q8_geometry *g, const uint8_t *xp,
                                  const int32_t *corr, const double *mult, int zp_out, int qmin, int qmax,
                                  long m_begin, long m_end, int8_t *y) {
    const long hp = padded_h(g), wp = padded_w(g), cp = f->cp;
    const long seg4 = g->kw * cp / 4, row = wp * cp;
    for (long m0 = m_begin; m0 < m_end; m0 += 12) {
        const int P = m_end - m0 < 12 ? (int)(m_end - m0) : 12;
        const uint8_t *ap[12];
        int8_t *yp[12];
        for (int i = 0; i < P; i++) {
            ap[i] = xp + pixel_origin(g, hp, wp, cp, m0 + i);
            yp[i] = y + (m0 + i) * f->filters;
        }
        for (long blk = 0; blk < f->blocks; blk++) {
            const long nf = f->filters - blk * 32 < 32 ? f->filters - blk * 32 : 32;
            const int8_t *b = (const int8_t *)f->packed + blk * 32 * f->k;
            const int32_t *cb = corr + blk * 32;
            const double *mb = mult + blk * 32;
            int8_t *yb[12];
            for (int i = 0; i < P; i++) yb[i] = yp[i] + blk * 32;
#define VNNI_CASE(p)                                                                                   \
    case p:                                                                                            \
        if (nf > 16) vnni_tile(p, 2, ap, g->kh, seg4, row, b, cb, mb, nf, zp_out, qmin, qmax, yb);     \
        else vnni_tile(p, 1, ap, g->kh, seg4, row, b, cb, mb, nf, zp_out, qmin, qmax, yb);            \
        break;
            switch (P) {
                VNNI_CASE(1) VNNI_CASE(2) VNNI_CASE(3) VNNI_CASE(4) VNNI_CASE(5) VNNI_CASE(6)
                VNNI_CASE(7) VNNI_CASE(8) VNNI_CASE(9) VNNI_CASE(10) VNNI_CASE(11) VNNI_CASE(12)
            }
#undef VNNI_CASE
        }
    }
}

// ---- AVX2: int16 pairs, vpmaddwd ----

AVX2_TARGET INLINE void avx2_store(__m256i acc, __m256i corr, const double *mult, int zp_out, int qmin, int qmax,
                                   int8_t *out, long count) {
    const __m256i a = _mm256_add_epi32(acc, corr);
    const __m256d limit = _mm256_set1_pd(Q8_LIMIT), nlimit = _mm256_set1_pd(-Q8_LIMIT);
    const __m256d one = _mm256_set1_pd(1.0), half = _mm256_set1_pd(0.5), nhalf = _mm256_set1_pd(-0.5);
    __m128i r[2];
    for (int h = 0; h < 2; h++) {
        const __m128i part = h ? _mm256_extracti128_si256(a, 1) : _mm256_castsi256_si128(a);
        __m256d x = _mm256_mul_pd(_mm256_cvtepi32_pd(part), _mm256_loadu_pd(mult + 4 * h));
        x = _mm256_min_pd(_mm256_max_pd(x, nlimit), limit);
        __m256d t = _mm256_round_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __m256d d = _mm256_sub_pd(x, t);
        t = _mm256_add_pd(t, _mm256_and_pd(_mm256_cmp_pd(d, half, _CMP_GE_OQ), one));
        t = _mm256_sub_pd(t, _mm256_and_pd(_mm256_cmp_pd(d, nhalf, _CMP_LE_OQ), one));
        r[h] = _mm256_cvttpd_epi32(t);
    }
    const __m128i zp = _mm_set1_epi32(zp_out), lo = _mm_set1_epi32(qmin), hi = _mm_set1_epi32(qmax);
    for (int h = 0; h < 2; h++) r[h] = _mm_min_epi32(_mm_max_epi32(_mm_add_epi32(r[h], zp), lo), hi);
    // Values already within int8: the saturating packs are exact.
    const __m128i bytes = _mm_packs_epi16(_mm_packs_epi32(r[0], r[1]), _mm_setzero_si128());
    if (count >= 8) {
        _mm_storel_epi64((__m128i *)out, bytes);
    } else {
        int8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, bytes);
        memcpy(out, tmp, (size_t)count);
    }
}

AVX2_TARGET INLINE void avx2_tile(const int P, const int V, const int16_t *const *ap, long kh, long seg2, long row,
                                  const int16_t *b, const int32_t *corr, const double *mult, long nf, int zp_out,
                                  int qmin, int qmax, int8_t *const *yp) {
    __m256i acc[6][2];
    for (int i = 0; i < P; i++)
        for (int v = 0; v < V; v++) acc[i][v] = _mm256_setzero_si256();
    for (long ky = 0; ky < kh; ky++) {
        const long off = ky * row;
        const int16_t *bk = b + ky * seg2 * 32;
        for (long kb = 0; kb < seg2; kb++) {
            __m256i bv[2];
            for (int v = 0; v < V; v++) bv[v] = _mm256_loadu_si256((const __m256i *)(bk + kb * 32 + v * 16));
            for (int i = 0; i < P; i++) {
                int32_t word;
                memcpy(&word, ap[i] + off + kb * 2, 4);
                const __m256i a = _mm256_set1_epi32(word);
                for (int v = 0; v < V; v++) acc[i][v] = _mm256_add_epi32(acc[i][v], _mm256_madd_epi16(a, bv[v]));
            }
        }
    }
    for (int v = 0; v < V; v++) {
        const long left = nf - 8 * v;
        const __m256i cv = _mm256_loadu_si256((const __m256i *)(corr + 8 * v));
        for (int i = 0; i < P; i++)
            avx2_store(acc[i][v], cv, mult + 8 * v, zp_out, qmin, qmax, yp[i] + 8 * v, left);
    }
}

AVX2_TARGET static void conv_avx2(const fovea_q8_filters *f, const fovea_q8_geometry *g, const int16_t *xp,
                                  const int32_t *corr, const double *mult, int zp_out, int qmin, int qmax,
                                  long m_begin, long m_end, int8_t *y) {
    const long hp = padded_h(g), wp = padded_w(g), cp = f->cp;
    const long seg2 = g->kw * cp / 2, row = wp * cp;
    for (long m0 = m_begin; m0 < m_end; m0 += 6) {
        const int P = m_end - m0 < 6 ? (int)(m_end - m0) : 6;
        const int16_t *ap[6];
        int8_t *yp[6];
        for (int i = 0; i < P; i++) {
            ap[i] = xp + pixel_origin(g, hp, wp, cp, m0 + i);
            yp[i] = y + (m0 + i) * f->filters;
        }
        for (long blk = 0; blk < f->blocks; blk++) {
            const long nf = f->filters - blk * 16 < 16 ? f->filters - blk * 16 : 16;
            const int16_t *b = (const int16_t *)f->packed + blk * 16 * f->k;
            const int32_t *cb = corr + blk * 16;
            const double *mb = mult + blk * 16;
            int8_t *yb[6];
            for (int i = 0; i < P; i++) yb[i] = yp[i] + blk * 16;
#define AVX2_CASE(p)                                                                                   \
    case p:                                                                                            \
        if (nf > 8) avx2_tile(p, 2, ap, g->kh, seg2, row, b, cb, mb, nf, zp_out, qmin, qmax, yb);      \
        else avx2_tile(p, 1, ap, g->kh, seg2, row, b, cb, mb, nf, zp_out, qmin, qmax, yb);             \
        break;
            switch (P) { AVX2_CASE(1) AVX2_CASE(2) AVX2_CASE(3) AVX2_CASE(4) AVX2_CASE(5) AVX2_CASE(6) }
#undef AVX2_CASE
        }
    }
}

#endif  // __x86_64__

// ---- Generic: int16 input, one dot product per pixel and filter ----

static void conv_generic(const fovea_q8_filters *f, const fovea_q8_geometry *g, const int16_t *xp,
                         const int32_t *corr, const double *mult, int zp_out, int qmin, int qmax, long m_begin,
                         long m_end, int8_t *y) {
    const long hp = padded_h(g), wp = padded_w(g), cp = f->cp;
    const long seg = g->kw * cp, row = wp * cp;
    for (long m = m_begin; m < m_end; m++) {
        const int16_t *a = xp + pixel_origin(g, hp, wp, cp, m);
        int8_t *out = y + m * f->filters;
        for (long o = 0; o < f->filters; o++) {
            const int16_t *b = (const int16_t *)f->packed + o * f->k;
            uint32_t acc = (uint32_t)corr[o];  // wraps like the reference's sums
            for (long ky = 0; ky < g->kh; ky++) {
                const int16_t *ar = a + ky * row, *bk = b + ky * seg;
                int32_t part = 0;
                for (long i = 0; i < seg; i++) part += ar[i] * bk[i];
                acc += (uint32_t)part;
            }
            out[o] = requantize((int32_t)acc, mult[o], zp_out, qmin, qmax);
        }
    }
}

int fovea_q8_conv_packed(const fovea_q8_filters *f, const fovea_q8_geometry *g, const void *padded, int zp_in,
                         const int32_t *bias, const double *multiplier, int zp_out, int qmin, int qmax,
                         long m_begin, long m_end, int8_t *y) {
    // Per filter (padded to whole blocks): bias plus, for vnni, the +128 of
    // the input bytes and their zero point taken out; the multipliers.
    const long width = f->blocks * f->block;
    int32_t *corr = malloc(sizeof(int32_t) * (size_t)width);
    double *mult = malloc(sizeof(double) * (size_t)width);
    if (!corr || !mult) {
        free(corr);
        free(mult);
        return -1;
    }
    const uint32_t offset = f->isa == FOVEA_Q8_VNNI ? (uint32_t)(zp_in + 128) : 0;
    for (long o = 0; o < width; o++) {
        corr[o] = o < f->filters ? (int32_t)((uint32_t)bias[o] - offset * (uint32_t)f->sums[o]) : 0;
        mult[o] = o < f->filters ? multiplier[o] : 0;
    }
    switch (f->isa) {
#if defined(__x86_64__)
    case FOVEA_Q8_VNNI:
        conv_vnni(f, g, padded, corr, mult, zp_out, qmin, qmax, m_begin, m_end, y);
        break;
    case FOVEA_Q8_AVX2:
        conv_avx2(f, g, padded, corr, mult, zp_out, qmin, qmax, m_begin, m_end, y);
        break;
#endif
    default:
        conv_generic(f, g, padded, corr, mult, zp_out, qmin, qmax, m_begin, m_end, y);
    }
    free(corr);
    free(mult);
    return 0;
}

// ---- Max pooling ----

CLONES
void fovea_q8_maxpool(const int8_t *x, long n, long h, long w, long c, long size, long stride, long pad_top,
                      long pad_left, long out_h, long out_w, int8_t *y) {
    for (long img = 0; img < n; img++) {
        const int8_t *xi = x + img * h * w * c;
        for (long oy = 0; oy < out_h; oy++) {
            for (long ox = 0; ox < out_w; ox++) {
                int8_t *out = y + ((img * out_h + oy) * out_w + ox) * c;
                for (long ch = 0; ch < c; ch++) out[ch] = -128;
                for (long ky = 0; ky < size; ky++) {
                    const long iy = oy * stride + ky - pad_top;
                    if (iy < 0 || iy >= h) continue;
                    for (long kx = 0; kx < size; kx++) {
                        const long ix = ox * stride + kx - pad_left;
                        if (ix < 0 || ix >= w) continue;
                        const int8_t *s = xi + (iy * w + ix) * c;
                        for (long ch = 0; ch < c; ch++) out[ch] = s[ch] > out[ch] ? s[ch] : out[ch];
                    }
                }
            }
        }
    }
}
