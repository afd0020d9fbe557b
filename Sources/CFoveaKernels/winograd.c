// Winograd F(4x4, 3x3) transforms for 3x3 stride-1 NHWC convolution, forward
// and backward (Lavin & Gray 2015, points 0, ±1, ±2). The element-wise
// products between transformed tiles and kernels are 36 GEMMs done by the
// caller (gemm.c); these are the linear maps around them and their
// adjoints, which give the exact gradients of the same computation.
// Every transform works on 16 channels at a time (one AVX-512 register,
// two AVX2 ones), which NHWC keeps contiguous.
#include "fovea_kernels.h"
#include "vector.h"
#include <string.h>

#define LANES 16
typedef float vec __attribute__((vector_size(LANES * sizeof(float))));

// Vectors cross helpers by pointer only: by value their ABI would differ
// between the clones. A channel block of n < LANES values leaves the other
// lanes zero.
INLINE void load_n(vec *v, const float *p, int n) {
    if (n == LANES) {
        memcpy(v, p, sizeof *v);
    } else {
        *v = (vec){0};
        memcpy(v, p, (size_t)n * sizeof(float));
    }
}

INLINE void store_n(float *p, const vec *v, int n) {
    if (n == LANES) memcpy(p, v, sizeof *v);
    else memcpy(p, v, (size_t)n * sizeof(float));
}

INLINE void add_n(float *p, const vec *v, int n) {
    vec a;
    load_n(&a, p, n);
    a += *v;
    store_n(p, &a, n);
}

// The six rows of Bᵀ applied to d0..d5 (stride s between inputs and outputs).
INLINE void bt6(const vec *d, int ds, vec *o, int os) {
    vec d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
    o[0] = 4 * d0 - 5 * d2 + d4;
    o[os] = d3 + d4 - 4 * (d1 + d2);
    o[2 * os] = 4 * (d1 - d2) + d4 - d3;
    o[3 * os] = 2 * (d3 - d1) + d4 - d2;
    o[4 * os] = 2 * (d1 - d3) + d4 - d2;
    o[5 * os] = 4 * d1 - 5 * d3 + d5;
}

// B applied to v0..v5: the adjoint of bt6.
INLINE void b6(const vec *v, int vs, vec *o, int os) {
    vec v0 = v[0], v1 = v[vs], v2 = v[2 * vs], v3 = v[3 * vs], v4 = v[4 * vs], v5 = v[5 * vs];
    o[0] = 4 * v0;
    o[os] = 4 * (v2 - v1 + v5) + 2 * (v4 - v3);
    o[2 * os] = -5 * v0 - 4 * (v1 + v2) - v3 - v4;
    o[3 * os] = v1 - v2 + 2 * (v3 - v4) - 5 * v5;
    o[4 * os] = v0 + v1 + v2 + v3 + v4;
    o[5 * os] = v5;
}

// The four rows of Aᵀ applied to m0..m5.
INLINE void at4(const vec *m, int ms, vec *o, int os) {
    vec m0 = m[0], m1 = m[ms], m2 = m[2 * ms], m3 = m[3 * ms], m4 = m[4 * ms], m5 = m[5 * ms];
    vec p12 = m1 + m2, n12 = m1 - m2, p34 = m3 + m4, n34 = m3 - m4;
    o[0] = m0 + p12 + p34;
    o[os] = n12 + 2 * n34;
    o[2 * os] = p12 + 4 * p34;
    o[3 * os] = n12 + 8 * n34 + m5;
}

// A applied to y0..y3: the adjoint of at4.
INLINE void a6(const vec *y, int ys, vec *o, int os) {
    vec y0 = y[0], y1 = y[ys], y2 = y[2 * ys], y3 = y[3 * ys];
    vec pe = y0 + y2, po = y1 + y3, qe = y0 + 4 * y2, qo = 2 * y1 + 8 * y3;
    o[0] = y0;
    o[os] = pe + po;
    o[2 * os] = pe - po;
    o[3 * os] = qe + qo;
    o[4 * os] = qe - qo;
    o[5 * os] = y3;
}

// G applied to g0..g2.
INLINE void g6(const vec *g, int gs, vec *o, int os) {
    vec g0 = g[0], g1 = g[gs], g2 = g[2 * gs];
    vec s = g0 + g2, q = g0 * (1.0f / 24) + g2 * (1.0f / 6);
    o[0] = g0 * 0.25f;
    o[os] = (s + g1) * (-1.0f / 6);
    o[2 * os] = (s - g1) * (-1.0f / 6);
    o[3 * os] = q + g1 * (1.0f / 12);
    o[4 * os] = q - g1 * (1.0f / 12);
    o[5 * os] = g2;
}

// Gᵀ applied to u0..u5: the adjoint of g6.
INLINE void gt3(const vec *u, int us, vec *o, int os) {
    vec u0 = u[0], u1 = u[us], u2 = u[2 * us], u3 = u[3 * us], u4 = u[4 * us], u5 = u[5 * us];
    o[0] = u0 * 0.25f - (u1 + u2) * (1.0f / 6) + (u3 + u4) * (1.0f / 24);
    o[os] = (u2 - u1) * (1.0f / 6) + (u3 - u4) * (1.0f / 12);
    o[2 * os] = (u3 + u4 - u1 - u2) * (1.0f / 6) + u5;
}

// F(3x3, 3x3) (points 0, ±1, 2; the few-tile path below): the five rows of
// its Bᵀ applied to d0..d4.
INLINE void bt5(const vec *d, int ds, vec *o, int os) {
    vec d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds];
    o[0] = 2 * (d0 - d2) - d1 + d3;
    o[os] = d3 - 2 * d1 - d2;
    o[2 * os] = 2 * d1 - 3 * d2 + d3;
    o[3 * os] = d3 - d1;
    o[4 * os] = 2 * (d1 - d3) - d2 + d4;
}

// The three rows of F(3x3)'s Aᵀ applied to m0..m4.
INLINE void at3(const vec *m, int ms, vec *o, int os) {
    vec m0 = m[0], m1 = m[ms], m2 = m[2 * ms], m3 = m[3 * ms], m4 = m[4 * ms];
    o[0] = m0 + m1 + m2 + m3;
    o[os] = m1 - m2 + 2 * m3;
    o[2 * os] = m1 + m2 + 4 * m3 + m4;
}

INLINE int min_int(int a, int b) { return a < b ? a : b; }

// F(3x3)'s G applied to g0..g2: rows (1/2, 0, 0), -(1, 1, 1)/2, -(1, -1, 1)/6,
// (1, 2, 4)/6, (0, 0, 1).
INLINE void g5(const vec *g, int gs, vec *o, int os) {
    vec g0 = g[0], g1 = g[gs], g2 = g[2 * gs];
    vec s = g0 + g2;
    o[0] = g0 * 0.5f;
    o[os] = (s + g1) * -0.5f;
    o[2 * os] = (s - g1) * (-1.0f / 6);
    o[3 * os] = (g0 + 2 * g1 + 4 * g2) * (1.0f / 6);
    o[4 * os] = g2;
}

// u[ξ] = (G w Gᵀ)[ξ] for the (channel, filter) pairs begin..<end, window
// w = 6 (F(4x4)) or 5 (F(3x3)).
INLINE void transform_kernel(const int win, const float *w, long plane, long begin, long end, float *u) {
    for (long o = begin; o < end; o += LANES) {
        int n = (int)(end - o < LANES ? end - o : LANES);
        vec k[9], t[18], r[36];
        for (int i = 0; i < 9; i++) load_n(&k[i], w + i * plane + o, n);
        if (win == 6) {
            for (int x = 0; x < 3; x++) g6(k + x, 3, t + x, 3);      // columns: G g (6x3)
            for (int i = 0; i < 6; i++) g6(t + 3 * i, 1, r + 6 * i, 1);  // rows: (G g) Gᵀ (6x6)
        } else {
            for (int x = 0; x < 3; x++) g5(k + x, 3, t + x, 3);      // columns: G g (5x3)
            for (int i = 0; i < 5; i++) g5(t + 3 * i, 1, r + 5 * i, 1);  // rows: (G g) Gᵀ (5x5)
        }
        for (int i = 0; i < win * win; i++) store_n(u + i * plane + o, &r[i], n);
    }
}

CLONES
void fovea_wino4_transform_kernel(const float *w, long plane, long begin, long end, float *u) {
    transform_kernel(6, w, plane, begin, end, u);
}

CLONES
void fovea_wino3_transform_kernel(const float *w, long plane, long begin, long end, float *u) {
    transform_kernel(5, w, plane, begin, end, u);
}

CLONES
void fovea_wino4_kernel_gradient(const float *du, long plane, long begin, long end, float *dw) {
    for (long o = begin; o < end; o += LANES) {
        int n = (int)(end - o < LANES ? end - o : LANES);
        vec d[36], t[18], r[9];
        for (int i = 0; i < 36; i++) load_n(&d[i], du + i * plane + o, n);
        for (int i = 0; i < 6; i++) gt3(d + 6 * i, 1, t + 3 * i, 1);  // rows: dU G (6x3)
        for (int x = 0; x < 3; x++) gt3(t + x, 3, r + x, 3);          // columns: Gᵀ dU G (3x3)
        for (int i = 0; i < 9; i++) add_n(dw + i * plane + o, &r[i], n);
    }
}

// d = Bᵀ x B for the w x w window (w = 6 or 5, a constant after inlining)
// of image s from (iy0, ix0), channels j..j+n (zero outside the image).
INLINE void window_transform(const int w, const fovea_wino_geometry *g, const float *s, int iy0, int ix0, long j,
                             int n, vec *d) {
    const int c = g->in_c;
    vec tmp[36];
    for (int r = 0; r < w; r++) {
        const int iy = iy0 + r;
        for (int q = 0; q < w; q++) {
            const int ix = ix0 + q;
            if (iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w)
                load_n(&d[w * r + q], s + ((long)iy * g->in_w + ix) * c + j, n);
            else
                d[w * r + q] = (vec){0};
        }
    }
    if (w == 6) {
        for (int q = 0; q < 6; q++) bt6(d + q, 6, tmp + q, 6);      // columns: Bᵀ d
        for (int r = 0; r < 6; r++) bt6(tmp + 6 * r, 1, d + 6 * r, 1);  // rows: (Bᵀ d) B
    } else {
        for (int q = 0; q < 5; q++) bt5(d + q, 5, tmp + q, 5);
        for (int r = 0; r < 5; r++) bt5(tmp + 5 * r, 1, d + 5 * r, 1);
    }
}

// Tile t of a chunk is (image, ty, tx) = (t / (th*tw), t / tw % th, t % tw);
// its w x w input window (w = 6 for F(4x4), 5 for F(3x3)) starts at
// ((w - 2) ty - pad_top, (w - 2) tx - pad_left).
INLINE void transform_input(const int w, const fovea_wino_geometry *g, const float *x, long tile_begin,
                            long tile_end, long tiles, float *v) {
    const int c = g->in_c, th = g->tiles_h, tw = g->tiles_w, side = w - 2;
    const long plane = fovea_wino_plane(tiles, c);
    for (long t = tile_begin; t < tile_end; t++) {
        const long image = t / (th * tw);
        const int ty = (int)(t / tw % th), tx = (int)(t % tw);
        const int iy0 = side * ty - g->pad_top, ix0 = side * tx - g->pad_left;
        const float *s = x + image * g->in_h * g->in_w * c;
        float *out = v + t * c;
        for (int j = 0; j < c; j += LANES) {
            const int n = min_int(LANES, c - j);
            vec d[36];
            window_transform(w, g, s, iy0, ix0, j, n, d);
            for (int i = 0; i < w * w; i++) store_n(out + i * plane + j, &d[i], n);
        }
    }
}

CLONES
void fovea_wino4_transform_input(const fovea_wino_geometry *g, const float *x, long tile_begin, long tile_end,
                                 long tiles, float *v) {
    transform_input(6, g, x, tile_begin, tile_end, tiles, v);
}

CLONES
void fovea_wino3_transform_input(const fovea_wino_geometry *g, const float *x, long tile_begin, long tile_end,
                                 long tiles, float *v) {
    transform_input(5, g, x, tile_begin, tile_end, tiles, v);
}

// y = Aᵀ m A (+ bias, then ReLU) for tiles tile_begin..<tile_end and filters
// f_begin..<f_end; window w (a constant after inlining): 6 for F(4x4, 3x3),
// 5 for F(3x3, 3x3), tiles of w - 2 outputs a side at (ty, tx) * (w - 2).
INLINE void transform_output(const int w, const fovea_wino_geometry *g, const float *m, long tile_begin,
                             long tile_end, long tiles, long f_begin, long f_end, const float *bias, int relu,
                             float *y) {
    const int f = g->filters, th = g->tiles_h, tw = g->tiles_w, side = w - 2;
    const long plane = fovea_wino_plane(tiles, f);
    for (long t = tile_begin; t < tile_end; t++) {
        const long image = t / (th * tw);
        const int ty = (int)(t / tw % th), tx = (int)(t % tw);
        const int rows = min_int(side, g->out_h - side * ty), cols = min_int(side, g->out_w - side * tx);
        float *dst = y + ((image * g->out_h + side * ty) * g->out_w + side * tx) * f;
        const float *src = m + t * f;
        for (int j = (int)f_begin; j < f_end; j += LANES) {
            const int n = min_int(LANES, (int)f_end - j);
            vec d[36], tmp[24], o[16];
            for (int i = 0; i < w * w; i++) load_n(&d[i], src + i * plane + j, n);
            if (w == 6) {
                for (int q = 0; q < 6; q++) at4(d + q, 6, tmp + q, 6);     // columns: Aᵀ M (4x6)
                for (int r = 0; r < 4; r++) at4(tmp + 6 * r, 1, o + 4 * r, 1);  // rows: (Aᵀ M) A (4x4)
            } else {
                for (int q = 0; q < 5; q++) at3(d + q, 5, tmp + q, 5);     // columns: Aᵀ M (3x5)
                for (int r = 0; r < 3; r++) at3(tmp + 5 * r, 1, o + 3 * r, 1);  // rows: (Aᵀ M) A (3x3)
            }
            vec b = {0};
            if (bias) load_n(&b, bias + j, n);
            for (int r = 0; r < rows; r++) {
                for (int q = 0; q < cols; q++) {
                    vec out = o[side * r + q] + b;
                    if (relu) out = __builtin_elementwise_max(out, (vec){0});
                    store_n(dst + ((long)r * g->out_w + q) * f + j, &out, n);
                }
            }
        }
    }
}

CLONES
void fovea_wino4_transform_output(const fovea_wino_geometry *g, const float *m, long tile_begin, long tile_end,
                                  long tiles, const float *bias, int relu, float *y) {
    transform_output(6, g, m, tile_begin, tile_end, tiles, 0, g->filters, bias, relu, y);
}

CLONES
void fovea_wino4_transform_output_filters(const fovea_wino_geometry *g, const float *m, long tile_begin,
                                          long tile_end, long tiles, long f_begin, long f_end, const float *bias,
                                          int relu, float *y) {
    transform_output(6, g, m, tile_begin, tile_end, tiles, f_begin, f_end, bias, relu, y);
}

CLONES
void fovea_wino4_output_adjoint(const fovea_wino_geometry *g, const float *dy, long tile_begin, long tile_end,
                                long tiles, float *dm) {
    const int f = g->filters, th = g->tiles_h, tw = g->tiles_w;
    const long plane = fovea_wino_plane(tiles, f);
    for (long t = tile_begin; t < tile_end; t++) {
        const long image = t / (th * tw);
        const int ty = (int)(t / tw % th), tx = (int)(t % tw);
        const int rows = min_int(4, g->out_h - 4 * ty), cols = min_int(4, g->out_w - 4 * tx);
        const float *src = dy + ((image * g->out_h + 4 * ty) * g->out_w + 4 * tx) * f;
        float *out = dm + t * f;
        for (int j = 0; j < f; j += LANES) {
            const int n = min_int(LANES, f - j);
            vec d[16], tmp[24], r6[36];
            // Outputs an edge tile drops have no gradient.
            for (int r = 0; r < 4; r++)
                for (int q = 0; q < 4; q++)
                    if (r < rows && q < cols)
                        load_n(&d[4 * r + q], src + ((long)r * g->out_w + q) * f + j, n);
                    else
                        d[4 * r + q] = (vec){0};
            for (int q = 0; q < 4; q++) a6(d + q, 4, tmp + q, 4);      // columns: A dY (6x4)
            for (int r = 0; r < 6; r++) a6(tmp + 4 * r, 1, r6 + 6 * r, 1);  // rows: A dY Aᵀ (6x6)
            for (int i = 0; i < 36; i++) store_n(out + i * plane + j, &r6[i], n);
        }
    }
}

CLONES
void fovea_wino4_input_adjoint(const fovea_wino_geometry *g, const float *dv, long image_begin, long image_end,
                               long tiles, float *dx) {
    const int c = g->in_c, th = g->tiles_h, tw = g->tiles_w;
    const long plane = fovea_wino_plane(tiles, c);
    const long image_size = (long)g->in_h * g->in_w * c;
    memset(dx + image_begin * image_size, 0, (size_t)((image_end - image_begin) * image_size) * sizeof(float));
    // Tiles overlap by two rows and columns, so the images are the unit of
    // work the caller may split between threads.
    for (long image = image_begin; image < image_end; image++) {
        float *d = dx + image * image_size;
        for (int ty = 0; ty < th; ty++) {
            for (int tx = 0; tx < tw; tx++) {
                const long t = (image * th + ty) * tw + tx;
                const int iy0 = 4 * ty - g->pad_top, ix0 = 4 * tx - g->pad_left;
                const float *src = dv + t * c;
                for (int j = 0; j < c; j += LANES) {
                    const int n = min_int(LANES, c - j);
                    vec e[36], tmp[36];
                    for (int i = 0; i < 36; i++) load_n(&e[i], src + i * plane + j, n);
                    for (int q = 0; q < 6; q++) b6(e + q, 6, tmp + q, 6);      // columns: B dV
                    for (int r = 0; r < 6; r++) b6(tmp + 6 * r, 1, e + 6 * r, 1);  // rows: B dV Bᵀ
                    for (int r = 0; r < 6; r++) {
                        const int iy = iy0 + r;
                        if (iy < 0 || iy >= g->in_h) continue;
                        for (int q = 0; q < 6; q++) {
                            const int ix = ix0 + q;
                            if (ix < 0 || ix >= g->in_w) continue;
                            add_n(d + ((long)iy * g->in_w + ix) * c + j, &e[6 * r + q], n);
                        }
                    }
                }
            }
        }
    }
}

// ---- One image of few tiles: F(4x4, 3x3) and F(3x3, 3x3) ----
//
// One image of a small map (7x7 and less: at most WT tiles) at inference.
// Each transformed kernel value would serve only `tiles` products, and a
// stored transformed kernel (4x the 3x3 kernel) came from memory at every
// call on this machine, so the kernel is transformed on the fly and only
// the 3x3 kernel (regrouped, see few_tiles_pack) is read. Two tilings:
// F(4x4, 3x3) (6x6 windows, as above) and F(3x3, 3x3) (5x5 windows, points
// 0, ±1, 2: 25 products per tile against 36, so a 6x6 region, e.g. what a
// 2x2 'valid' pooling reads of a 7x7 map, takes 4 x 25 instead of 4 x 36).
// For F(3x3): Bᵀ, Aᵀ (bt5, at3) above; G = diag(1/2, -1/2, -1/6, 1/6, 1) G' with G'
// rows (1,0,0), (1,1,1), (1,-1,1), (1,2,4), (0,0,1).
// `n` (6 or 5) is the window size: ξ = n i + j, i, j < n.

#define WT 4

// Tiles of one image, channels c_begin..<c_end, into the layout the
// products read: channel ch = 16 q + l of ξ = n i + j and tile t at
// vr[((((i * groups + q) * n + j) * tiles + t) * 16 + l], groups = ⌈in_c/16⌉
// (lanes past in_c zero): each transformed vector is stored whole, and the
// n x tiles values a channel adds to a row of U are at fixed offsets.
INLINE void few_tiles_input(const int n, const fovea_wino_geometry *g, const float *x, long c_begin, long c_end,
                            float *vr) {
    const int c = g->in_c, tw = g->tiles_w, tiles = g->tiles_h * tw, step = n - 2;
    const long groups = (c + LANES - 1) / LANES;
    for (long j0 = c_begin; j0 < c_end; j0 += LANES) {
        const int lanes = (int)(c_end - j0 < LANES ? c_end - j0 : LANES);
        const long q = j0 / LANES;
        for (int t = 0; t < tiles; t++) {
            const int iy0 = step * (t / tw) - g->pad_top, ix0 = step * (t % tw) - g->pad_left;
            vec d[36];
            window_transform(n, g, x, iy0, ix0, j0, lanes, d);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    memcpy(vr + ((((i * groups + q) * n + j) * tiles + t) * LANES), &d[n * i + j], sizeof(vec));
        }
    }
}

CLONES
int fovea_wino_few_tiles_input(int window, const fovea_wino_geometry *g, const float *x, long c_begin, long c_end,
                               float *vr) {
    const int tiles = g->tiles_h * g->tiles_w;
    if (tiles < 1 || tiles > WT || c_begin % LANES || (window != 6 && window != 5)) return -1;
    if (window == 6) few_tiles_input(6, g, x, c_begin, c_end, vr);
    else few_tiles_input(5, g, x, c_begin, c_end, vr);
    return 0;
}

// out = row r (a constant) of G' applied to (a, b, c) = (g0, g1, g2); F(4x4)'s
// rows 0..5, F(3x3)'s i the same rows without (1,-2,4) (its row 4 is row 5).
#define GPRIME(out, r, a, b, c)                                                                                 \
    do {                                                                                                        \
        switch (r) {                                                                                            \
        case 0: (out) = (a); break;                                                                             \
        case 1: (out) = (a) + (b) + (c); break;                                                                 \
        case 2: (out) = (a) - (b) + (c); break;                                                                 \
        case 3: (out) = (a) + 2 * (b) + 4 * (c); break;                                                         \
        case 4: (out) = (a) - 2 * (b) + 4 * (c); break;                                                         \
        default: (out) = (c); break;                                                                            \
        }                                                                                                       \
    } while (0)

// G = diag(scale) G': the products are multiplied by scale_i scale_j when stored.
static const float gscale6[6] = {1.0f / 4, -1.0f / 6, -1.0f / 6, 1.0f / 24, 1.0f / 24, 1.0f};
static const float gscale5[5] = {1.0f / 2, -1.0f / 2, -1.0f / 6, 1.0f / 6, 1.0f};

// G' row of window row i.
#define GROW(n, i) ((n) == 5 && (i) == 4 ? 5 : (i))

// Row i of U (ξ = n i .. n i + n - 1) for 16 filters: made from row i of G' g
// for every channel, its n x tiles sums kept in registers.
INLINE void few_tiles_row(const int n, const int tiles, const int i, const float *vr, long c, const float *wp,
                          float *m, long filters, long mplane) {
    const int gi = GROW(n, i);
    vec acc[6][WT];
    for (int j = 0; j < n; j++)
        for (int t = 0; t < tiles; t++) acc[j][t] = (vec){0};
    const long groups = (c + LANES - 1) / LANES;
    for (long q = 0; q < groups; q++) {
        const float *vq = vr + (i * groups + q) * n * tiles * LANES;
        const int lanes = (int)(c - q * LANES < LANES ? c - q * LANES : LANES);
        for (int l = 0; l < lanes; l++, wp += 9 * LANES) {
            // Row gi of G' g: r[x] = G'[gi] · (g[0][x], g[1][x], g[2][x]), tap (k, x) at wp[(3k + x) * LANES].
            vec r[3];
            for (int x = 0; x < 3; x++) {
                const vec g0 = (gi == 5) ? (vec){0} : LOAD(wp + x * LANES);
                const vec g1 = (gi == 0 || gi == 5) ? (vec){0} : LOAD(wp + (3 + x) * LANES);
                const vec g2 = (gi == 0) ? (vec){0} : LOAD(wp + (6 + x) * LANES);
                GPRIME(r[x], gi, g0, g1, g2);
            }
            const float *vc = vq + l;
            for (int j = 0; j < n; j++) {
                vec u;
                GPRIME(u, GROW(n, j), r[0], r[1], r[2]);
                for (int t = 0; t < tiles; t++) acc[j][t] += vc[(j * tiles + t) * LANES] * u;
            }
        }
    }
    for (int j = 0; j < n; j++) {
        const float scale = n == 6 ? gscale6[i] * gscale6[j] : gscale5[i] * gscale5[j];
        for (int t = 0; t < tiles; t++) STORE(m + (n * i + j) * mplane + t * filters, acc[j][t] * scale);
    }
}

// Filters f_begin..<f_end: block by block, row by row of U.
INLINE void few_tiles(const int n, const int tiles, const float *vr, long c, const float *packed, long filters,
                      long f_begin, long f_end, float *m) {
    const long mplane = fovea_wino_plane(tiles, filters);
    for (long f0 = f_begin; f0 < f_end; f0 += LANES) {
        const float *wp = packed + f0 / LANES * c * 9 * LANES;
        few_tiles_row(n, tiles, 0, vr, c, wp, m + f0, filters, mplane);
        few_tiles_row(n, tiles, 1, vr, c, wp, m + f0, filters, mplane);
        few_tiles_row(n, tiles, 2, vr, c, wp, m + f0, filters, mplane);
        few_tiles_row(n, tiles, 3, vr, c, wp, m + f0, filters, mplane);
        few_tiles_row(n, tiles, 4, vr, c, wp, m + f0, filters, mplane);
        if (n == 6) few_tiles_row(n, tiles, 5, vr, c, wp, m + f0, filters, mplane);
    }
}

CLONES
void fovea_wino_few_tiles_pack(const float *w, long c, long filters, long f_begin, long f_end, float *packed) {
    const long plane = c * filters;
    for (long f0 = f_begin; f0 < f_end; f0 += LANES)
        for (long ch = 0; ch < c; ch++) {
            float *dst = packed + (f0 / LANES * c + ch) * 9 * LANES;
            for (int tap = 0; tap < 9; tap++)
                memcpy(dst + tap * LANES, w + tap * plane + ch * filters + f0, LANES * sizeof(float));
        }
}

CLONES
int fovea_wino_few_tiles_products(int window, const float *vr, long tiles, long c, const float *packed,
                                  long filters, long f_begin, long f_end, float *m) {
    if (f_begin % LANES || f_end % LANES || f_begin < 0 || f_end > filters || tiles < 1 || tiles > WT) return -1;
#define CASE(N, T) case T: few_tiles(N, T, vr, c, packed, filters, f_begin, f_end, m); return 0
    if (window == 6) {
        switch (tiles) { CASE(6, 4); CASE(6, 3); CASE(6, 2); CASE(6, 1); }
    } else if (window == 5) {
        switch (tiles) { CASE(5, 4); CASE(5, 3); CASE(5, 2); CASE(5, 1); }
    }
#undef CASE
    return -1;
}

// F(3x3)'s output transform (see transform_output).
CLONES
void fovea_wino3_transform_output_filters(const fovea_wino_geometry *g, const float *m, long tile_begin,
                                          long tile_end, long tiles, long f_begin, long f_end, const float *bias,
                                          int relu, float *y) {
    transform_output(5, g, m, tile_begin, tile_end, tiles, f_begin, f_end, bias, relu, y);
}
