using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace MoeScratch.Tensors.Cpu;

/// <summary>
/// The kernels' fork-join: <see cref="Run"/> executes body(i) for i in [0, count) on the calling thread and on resident
/// workers that spin briefly between jobs before they sleep. Indices are claimed, not assigned: whoever is free takes
/// the next one, so the caller never waits for a worker that has not woken up yet.
/// </summary>
/// <remarks>
/// <para>Why not <c>Parallel.For</c>: a training step forks a few hundred times (every GEMM, conv and large copy), often
/// for well under a millisecond of work. A thread-pool worker that has gone to sleep takes tens of microseconds to
/// wake (a futex round trip), and Parallel.For adds its own partitioning and allocation. libtorch's OpenMP runtime
/// keeps its threads spinning between parallel regions for the same reason. Here a worker spins for
/// <see cref="SpinMicroseconds"/> after each job, so back-to-back kernels reach it within a few hundred nanoseconds,
/// and then sleeps on a monitor until the next job is published, so an idle process burns nothing.</para>
/// <para>Why claiming: waking a sleeping worker took 0.6–0.8 ms on the 2-vCPU reference VM (the idle vCPU is halted by
/// the hypervisor), longer than a whole batch-1 forward. The caller publishes the job, wakes the sleepers, and works
/// through the indices itself; a worker that arrives in time takes some, one that arrives late finds none left. Each
/// index always does the same work, so results do not depend on who ran it.</para>
/// <para>One job at a time: a call made while another thread's job runs, or from inside a job, does not wait; a nested
/// call runs its indices serially on its own thread (the outer job already uses every core), a concurrent one falls
/// back to Parallel.For. Exceptions thrown by any index are rethrown on the caller (the first one).</para>
/// </remarks>
internal static class CpuWorkers
{
    /// <summary>How long an idle worker keeps polling for the next job before it sleeps.</summary>
    public const int SpinMicroseconds = 200;

    /// <summary>
    /// Pauses between two looks at the job slot, the worker's for a new job and the caller's for the end of one (one
    /// normalized pause is ~47 ns here). It was 16 (0.75 µs): a job waited on average ~0.4 µs longer for the worker
    /// to notice it. A fork of two 3 µs halves (a throwaway timing loop) took 3.7 µs, now 3.2 (with the caller's join
    /// polled the same way); quick dqn-act-b1, 3 alternating rounds: 0.068–0.077 → 0.066–0.067 ms; training steps
    /// unchanged.
    /// </summary>
    private const int PollPauses = 2;

    /// <summary>Polls of <see cref="PollPauses"/> (~0.1 ms in all) before the caller's join backs off.</summary>
    private const int JoinPolls = 2000;

    private static readonly object Gate = new();
    private static readonly object SleepLock = new();
    private static readonly List<Thread> Workers = [];
    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    [ThreadStatic] private static bool t_inJob;

    /// <summary>The job most recently published; workers compare references to see a new one.</summary>
    private static Job? s_job;
    private static int s_sleepers;

    /// <summary>One fork: everything a worker reads comes from the same object, so a late worker never mixes jobs.</summary>
    private sealed class Job(Action<int> body, int count)
    {
        public readonly Action<int> Body = body;
        public readonly int Count = count;
        public int Next;          // next unclaimed index
        public int Running;       // claimed by a worker and not finished
        public ExceptionDispatchInfo? Error;

        /// <summary>Claims and runs indices until none is left.</summary>
        public void Drain()
        {
            int i;
            while ((i = Interlocked.Increment(ref Next) - 1) < Count)
            {
                try
                {
                    Body(i);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref Error, ExceptionDispatchInfo.Capture(e), null);
                }
            }
        }
    }

    /// <summary>
    /// Runs body(i) for i in [0, count) on the calling thread and any free workers; returns when all are done. Pass a
    /// thread count (e.g. <see cref="CpuThreads.Max"/>), not a work-item count: at most CpuThreads.Max − 1 workers are
    /// started, and they share out larger counts (started per count, one call with 8 items left 7 spinning threads on
    /// 2 cores, which halved the speed of every later kernel).
    /// </summary>
    public static void Run(int count, Action<int> body)
    {
        if (count <= 1 || t_inJob)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        if (!Monitor.TryEnter(Gate))
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = count }, body);
            return;
        }
        try
        {
            EnsureWorkers(Math.Min(count, Math.Max(1, CpuThreads.Max)) - 1);
            var job = new Job(body, count);
            Interlocked.Exchange(ref s_job, job); // publishes the job (full fence)
            if (Volatile.Read(ref s_sleepers) > 0)
            {
                lock (SleepLock) Monitor.PulseAll(SleepLock);
            }
            t_inJob = true;
            try
            {
                job.Drain();
            }
            finally
            {
                t_inJob = false;
            }
            // Only indices a worker claimed can still be running.
            // Polled at the workers' pace first: SpinWait's backoff grows its pauses, so the caller saw the last
            // worker finish up to a microsecond late; after JoinPolls it backs off and yields (a preempted worker).
            for (int i = 0; i < JoinPolls && Volatile.Read(ref job.Running) > 0; i++) Thread.SpinWait(PollPauses);
            var spin = new SpinWait();
            while (Volatile.Read(ref job.Running) > 0) spin.SpinOnce(sleep1Threshold: -1);
            job.Error?.Throw();
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    /// <summary>Worker threads started so far (tests).</summary>
    internal static int WorkerCount
    {
        get
        {
            lock (Gate) return Workers.Count;
        }
    }

    private static void EnsureWorkers(int needed)
    {
        while (Workers.Count < needed)
        {
            // The worker starts after the caller publishes its job: it must treat the job current now (finished or
            // none) as seen, and the one about to be published as new.
            int index = Workers.Count + 1;
            var prior = Volatile.Read(ref s_job);
            var t = new Thread(() => Loop(prior)) { IsBackground = true, Name = $"MoeScratch CPU worker {index}" };
            Workers.Add(t);
            t.Start();
        }
    }

    private static void Loop(Job? seen)
    {
        t_inJob = true;
        while (true)
        {
            var job = AwaitJob(seen);
            seen = job;
            // Registered before claiming, so the caller, which waits for Running to drop to 0 after its own Drain,
            // cannot miss an index this worker is about to take.
            Interlocked.Increment(ref job.Running);
            job.Drain();
            Interlocked.Decrement(ref job.Running);
        }
    }

    /// <summary>Spins, then sleeps, until a job other than <paramref name="seen"/> is published; returns it.</summary>
    private static Job AwaitJob(Job? seen)
    {
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        Job? job;
        while ((job = Volatile.Read(ref s_job)) == seen)
        {
            if (Stopwatch.GetTimestamp() > until) break;
            Thread.SpinWait(PollPauses);
        }
        if (job != seen) return job!;
        // Sleep until a publisher pulses. The sleeper count is raised (a full fence) before the last look at the
        // job: a job published before that look is seen here; a publisher that comes after it reads a non-zero count
        // and pulses, and its pulse waits for this lock, i.e. until the worker is waiting.
        lock (SleepLock)
        {
            Interlocked.Increment(ref s_sleepers);
            while ((job = Volatile.Read(ref s_job)) == seen) Monitor.Wait(SleepLock);
            Interlocked.Decrement(ref s_sleepers);
        }
        return job!;
    }
}
