using System.Runtime.InteropServices;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// CPU time of the calling thread (Linux <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>, nanosecond resolution), so a
/// 1-thread workload can be timed by the work it did rather than by the wall clock, which on a shared machine also
/// counts the time other processes held the core. Elsewhere <see cref="Available"/> is false.
/// </summary>
public static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Whether the clock can be read on this platform.</summary>
    public static bool Available { get; } = OperatingSystem.IsLinux() && TryRead(out _);

    /// <summary>The calling thread's CPU time in milliseconds, or NaN where <see cref="Available"/> is false.</summary>
    public static double NowMs() => Available && TryRead(out double ms) ? ms : double.NaN;

    private static bool TryRead(out double ms)
    {
        ms = double.NaN;
        try
        {
            if (ClockGetTime(ClockThreadCpuTimeId, out var t) != 0) return false;
            ms = t.Seconds * 1e3 + t.Nanoseconds / 1e6;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
