using System.Globalization;
using ILGPU.Runtime;
using MoeScratch.Tensors.Gpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// The <c>--backend</c> choice of <c>quick</c> and <c>gpu-selftest</c>: <c>cpu</c> (the CPU backend),
/// <c>cuda</c> / <c>cuda:N</c> (an NVIDIA GPU through ILGPU) or <c>cpu-accelerator</c> (ILGPU's CPU emulator, for
/// checking the device path without a GPU).
/// </summary>
/// <param name="Label">The name written as <c>backend=</c> in result lines ("cpu", "cuda:0", "cpu-accelerator").</param>
/// <param name="CudaDevice">The CUDA device index, or null.</param>
/// <param name="IsCpuAccelerator">ILGPU's CPU accelerator.</param>
public sealed record QuickBackend(string Label, int? CudaDevice, bool IsCpuAccelerator)
{
    /// <summary>The accepted values, for usage lines.</summary>
    public const string Values = "cpu|cuda|cuda:N|cpu-accelerator";

    /// <summary>The CPU backend.</summary>
    public static QuickBackend Cpu { get; } = new("cpu", null, false);

    /// <summary>True for the CPU backend (no device).</summary>
    public bool IsCpu => CudaDevice is null && !IsCpuAccelerator;

    /// <summary>Parses a <c>--backend</c> value; null when it is not one of <see cref="Values"/>.</summary>
    public static QuickBackend? Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string v = value.Trim().ToLowerInvariant();
        if (v == "cpu") return Cpu;
        if (v == "cpu-accelerator") return new("cpu-accelerator", null, true);
        if (v == "cuda") return new("cuda:0", 0, false);
        if (v.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(v.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int id))
        {
            return new($"cuda:{id}", id, false);
        }
        return null;
    }

    /// <summary>
    /// Opens the device (null for <c>cpu</c>). Gather's index check is turned off: its 4-byte read-back would add a
    /// host synchronisation in the middle of every training step, which PyTorch's device-side check does not have,
    /// and the benchmarks' actions are valid by construction.
    /// </summary>
    /// <exception cref="InvalidOperationException">CUDA was asked for and ILGPU finds no CUDA device (the message
    /// lists what it sees).</exception>
    /// <exception cref="ArgumentOutOfRangeException">There are fewer CUDA devices than the index asked for.</exception>
    public GpuBackend? Open()
    {
        if (IsCpu) return null;
        var gpu = IsCpuAccelerator ? GpuBackend.CreateCpuAccelerator() : GpuBackend.CreateCuda(CudaDevice!.Value);
        gpu.CheckIndices = false;
        return gpu;
    }

    /// <summary>
    /// <see cref="Open"/>, with a failure written as one line to <paramref name="error"/> (no stack trace): the
    /// backend's own message says what ILGPU sees and what to do. Returns false on failure.
    /// <paramref name="command"/> prefixes the line ("quick", "gpu-selftest").
    /// </summary>
    public bool TryOpen(TextWriter error, string command, out GpuBackend? gpu)
    {
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            gpu = Open();
            return true;
        }
        // AcceleratorException: the driver is there but refuses (e.g. a driver older than the PTX needs).
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException or AcceleratorException)
        {
            error.WriteLine($"{command}: cannot open --backend {Label}: {e.Message}");
            gpu = null;
            return false;
        }
    }
}
