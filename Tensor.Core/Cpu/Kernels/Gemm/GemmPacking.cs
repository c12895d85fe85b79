using System.Runtime.Intrinsics;

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
                for (int j = 0; j < nr; j++)
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
}
