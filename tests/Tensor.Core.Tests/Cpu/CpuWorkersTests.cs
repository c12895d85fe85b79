using MoeScratch.Tensors.Cpu;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// <see cref="CpuWorkers"/>: every index runs exactly once per job (counts that grow and shrink between jobs, more
/// indices than cores, workers that went to sleep between jobs), exceptions reach the caller, nested calls run
/// serially, and concurrent callers both finish. A lost wake-up shows as a hang, so each test has a timeout.
/// </summary>
public class CpuWorkersTests
{
    [Test]
    public void EveryIndexRunsOncePerJobAsTheCountChanges()
    {
        int[] counts = [2, 5, 3, 2, 4, 1, 6, 2];
        Within(60, () =>
        {
            for (int round = 0; round < 300; round++)
            {
                int count = counts[round % counts.Length];
                // Now and then wait past the workers' spin, so that they have gone to sleep when the job comes.
                if (round % 7 == 0) Thread.Sleep(1);
                var hits = new int[count];
                CpuWorkers.Run(count, i => Interlocked.Increment(ref hits[i]));
                Assert.That(hits, Is.All.EqualTo(1), $"round {round}, count {count}");
            }
        });
    }

    /// <summary>More indices than threads: all run, and no more than CpuThreads.Max − 1 workers are started for them.</summary>
    [Test]
    [NonParallelizable] // reads the process-wide worker count and CpuThreads.Max
    public void ACountAboveTheThreadCapStartsNoExtraWorkers()
    {
        int before = CpuWorkers.WorkerCount, cap = Math.Max(1, CpuThreads.Max);
        var hits = new int[Math.Max(before, cap) + 8]; // more than every worker so far: started per index, some would be new
        Within(60, () => CpuWorkers.Run(hits.Length, i => Interlocked.Increment(ref hits[i])));
        Assert.That(hits, Is.All.EqualTo(1));
        Assert.That(CpuWorkers.WorkerCount, Is.LessThanOrEqualTo(Math.Max(before, cap - 1)));
    }

    /// <summary>Runs <paramref name="body"/> on a pool thread and fails (instead of hanging) if it takes too long.</summary>
    private static void Within(int seconds, Action body)
    {
        var task = Task.Run(body);
        Assert.That(task.Wait(TimeSpan.FromSeconds(seconds)), Is.True, $"did not finish within {seconds} s (lost wake-up?)");
    }

    [Test]
    public void AnExceptionInAnyIndexReachesTheCallerAndThePoolStaysUsable()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            CpuWorkers.Run(3, i => { if (i == 2) throw new InvalidOperationException("index 2 failed"); }));
        Assert.That(e!.Message, Is.EqualTo("index 2 failed"));
        Assert.Throws<ArgumentException>(() => CpuWorkers.Run(2, i => { if (i == 0) throw new ArgumentException("caller"); }));
        int sum = 0;
        CpuWorkers.Run(4, i => Interlocked.Add(ref sum, i + 1));
        Assert.That(sum, Is.EqualTo(10));
    }

    [Test]
    public void NestedCallsRunSeriallyOnTheirThread()
    {
        var outer = new int[2];
        var inner = new int[2, 3];
        CpuWorkers.Run(2, i =>
        {
            int thread = Environment.CurrentManagedThreadId;
            CpuWorkers.Run(3, j =>
            {
                Assert.That(Environment.CurrentManagedThreadId, Is.EqualTo(thread));
                inner[i, j]++;
            });
            outer[i]++;
        });
        Assert.That(outer, Is.All.EqualTo(1));
        Assert.That(inner, Is.All.EqualTo(1));
    }

    [Test]
    public void ConcurrentCallersBothComplete()
    {
        long a = 0, b = 0;
        var t1 = Task.Run(() => { for (int r = 0; r < 200; r++) CpuWorkers.Run(2, i => Interlocked.Add(ref a, i + 1)); });
        var t2 = Task.Run(() => { for (int r = 0; r < 200; r++) CpuWorkers.Run(3, i => Interlocked.Add(ref b, i + 1)); });
        Assert.That(Task.WaitAll([t1, t2], TimeSpan.FromSeconds(60)), Is.True, "a caller did not finish");
        Assert.That(a, Is.EqualTo(200 * 3));
        Assert.That(b, Is.EqualTo(200 * 6));
    }
}
