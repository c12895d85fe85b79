using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MoeScratch.Tensors.Cpu.Kernels.Gemm;

/// <summary>
/// Packs blocks of op(A) and op(B) into the contiguous, zero-padded micro-panel layout the micro-kernel streams.
/// Glossary: op(A) is [m×k], op(B) is [k×n]; (i0, p0) / (p0, j0) the block origin; mc×kc (A) and kc×nc (B) the
/// block size; MR×NR the micro-tile; lda/ldb row strides of the stored matrices (A stored [k×m] when transA,
/// B stored [n×k] when transB).
/// </summary>
/// <remarks>
/// Transposition is absorbed here (GotoBLAS/BLIS packing): the packed layout is the same for both storage orders,
/// so a transposed operand costs no extra copy. Panels are padded with zeros to full MR/NR so the kernel never
/// branches on edges; the padding contributes exact zeros.
/// </remarks>
internal static unsafe class GemmPacking
{
    private const int MR = GemmMicroKernel.MR;
    private const int NR = GemmMicroKernel.NR;

    /// <summary>
    /// Packs op(A)[i0..i0+mc, p0..p0+kc] into ceil(mc/MR) micro-panels, each kc steps of MR floats
    /// (dst[panel·MR·kc + p·MR + r] = op(A)[i0 + panel·MR + r, p0 + p]).
    /// </summary>
    public static void PackA(bool transA, float* a, int lda, int i0, int p0, int mc, int kc, float* dst)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int mr = Math.Min(MR, mc - ir);
            float* d = dst + (long)ir * kc;
            if (transA && mr == MR)
            {
                // Stored [k×m]: the MR values of one k step are contiguous; moved as 4 + 2 floats. The swapped
                // weight gradient dyᵀ·col packs a 32 × 12,800 dyᵀ this way, where the scalar loop below cost about a
                // quarter of the GEMM.
                float* src = a + (long)p0 * lda + i0 + ir;
                for (int p = 0; p < kc; p++, src += lda, d += MR)
                {
                    Vector128.Store(Vector128.Load(src), d);
                    d[4] = src[4];
                    d[5] = src[5];
                }
            }
            else if (transA)
            {
                float* src = a + (long)p0 * lda + i0 + ir;
                for (int p = 0; p < kc; p++, src += lda, d += MR)
                {
                    int r = 0;
                    for (; r < mr; r++) d[r] = src[r];
                    for (; r < MR; r++) d[r] = 0f;
                }
            }
            else if (mr == MR)
            {
                // Stored [m×k]: six row streams, interleaved.
                float* s0 = a + (long)(i0 + ir) * lda + p0;
                float* s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
                for (int p = 0; p < kc; p++, d += MR)
                {
                    d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p];
                    d[3] = s3[p]; d[4] = s4[p]; d[5] = s5[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++, d += MR)
                {
                    float* src = a + (long)(i0 + ir) * lda + p0 + p;
                    int r = 0;
                    for (; r < mr; r++) d[r] = src[(long)r * lda];
                    for (; r < MR; r++) d[r] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0..p0+kc, j0..j0+nc] into ceil(nc/NR) micro-panels, each kc steps of NR floats
    /// (dst[panel·NR·kc + p·NR + j] = op(B)[p0 + p, j0 + panel·NR + j]).
    /// </summary>
    public static void PackB(bool transB, float* b, int ldb, int p0, int j0, int kc, int nc, float* dst)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            float* d = dst + (long)jr * kc;
            if (transB)
            {
                // Stored [n×k]: read each of the nr rows contiguously, scatter into the panel's column j.
                if (nr < NR) new Span<float>(d, kc * NR).Clear();
                int j = 0;
                if (Avx.IsSupported)
                {
                    for (; j + 8 <= nr; j += 8) PackBTransposed8(b + (long)(j0 + jr + j) * ldb + p0, ldb, kc, d + j);
                }
                for (; j < nr; j++)
                {
                    float* src = b + (long)(j0 + jr + j) * ldb + p0;
                    float* dj = d + j;
                    for (int p = 0; p < kc; p++) dj[p * NR] = src[p];
                }
            }
            else if (nr == NR)
            {
                float* src = b + (long)p0 * ldb + j0 + jr;
                for (int p = 0; p < kc; p++, src += ldb, d += NR)
                {
                    Vector256.Store(Vector256.Load(src), d);
                    Vector256.Store(Vector256.Load(src + 8), d + 8);
                }
            }
            else
            {
                float* src = b + (long)p0 * ldb + j0 + jr;
                for (int p = 0; p < kc; p++, src += ldb, d += NR)
                {
                    int j = 0;
                    for (; j < nr; j++) d[j] = src[j];
                    for (; j < NR; j++) d[j] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// dst[p·NR + r] = src[r·ld + p] for 8 rows r and p &lt; kc: eight stored rows of Bᵀ become eight columns of a
    /// packed panel, 8×8 blocks transposed in registers. The element-wise scatter cost more than the math when B is
    /// used by one row block only: the DQN Linear's dX = dY·Wᵀ (m = 32) packs all of W [3136, 512] per step.
    /// </summary>
    private static void PackBTransposed8(float* src, int ld, int kc, float* dst)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            float* s = src + p;
            var r0 = Avx.LoadVector256(s); var r1 = Avx.LoadVector256(s + ld);
            var r2 = Avx.LoadVector256(s + 2 * ld); var r3 = Avx.LoadVector256(s + 3 * ld);
            var r4 = Avx.LoadVector256(s + 4 * ld); var r5 = Avx.LoadVector256(s + 5 * ld);
            var r6 = Avx.LoadVector256(s + 6 * ld); var r7 = Avx.LoadVector256(s + 7 * ld);
            // Interleave pairs of rows, then pairs of pairs: lane q of each 128-bit half holds row q's element.
            var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
            var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
            var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
            // Rows 0-3 sit in u0..u3, rows 4-7 in u4..u7; join the halves: k step p + q from the low halves (q < 4)
            // or the high halves (q ≥ 4).
            float* d = dst + (long)p * NR;
            Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(d + NR, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(d + 2 * NR, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(d + 3 * NR, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(d + 4 * NR, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(d + 5 * NR, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(d + 6 * NR, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(d + 7 * NR, Avx.Permute2x128(u3, u7, 0x31));
        }
        for (; p < kc; p++)
        {
            for (int r = 0; r < 8; r++) dst[(long)p * NR + r] = src[(long)r * ld + p];
        }
    }
}
