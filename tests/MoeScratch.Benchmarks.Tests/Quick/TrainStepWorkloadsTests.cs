using MoeScratch.Benchmarks.Quick;
using MoeScratch.Tensors.Gpu;

namespace MoeScratch.Benchmarks.Tests.Quick;

/// <summary>
/// The device path of the training-step workloads, at smoke size on ILGPU's CPU accelerator (the same kernels CUDA
/// runs): the first step's loss matches the CPU backend's, and a step moves only the replay sample up and the loss
/// down. What a GPU machine times is then known to compute the same update as the CPU run.
/// </summary>
[NonParallelizable]
public sealed class TrainStepWorkloadsTests
{
    private GpuBackend _gpu = null!;

    [OneTimeSetUp]
    public void OpenCpuAccelerator() => _gpu = QuickBackend.Parse("cpu-accelerator")!.Open()!;

    [OneTimeTearDown]
    public void DisposeCpuAccelerator() => _gpu.Dispose();

    [TestCase(typeof(DqnTrainB32))]
    [TestCase(typeof(SoftMoeTrainB32))]
    [TestCase(typeof(ImpalaTrainB32))]
    public void FirstStepLoss_OnTheCpuAccelerator_MatchesTheCpuBackend(Type workload)
    {
        var onCpu = (TrainStepWorkload)Activator.CreateInstance(workload)!;
        var onDevice = (TrainStepWorkload)Activator.CreateInstance(workload)!;
        onCpu.Setup(new QuickSetup(1, Smoke: true));       // Setup runs the first step
        onDevice.Setup(new QuickSetup(1, _gpu, Smoke: true));
        // A zero loss on both sides would match without proving anything.
        Assert.That(onCpu.LastLoss, Is.GreaterThan(0f), $"{onCpu.Name}: the CPU loss of the first step");
        Assert.That(onDevice.LastLoss, Is.EqualTo(onCpu.LastLoss).Within(1e-4 * (1 + Math.Abs(onCpu.LastLoss))),
                    $"{onCpu.Name}: first-step loss on {_gpu.Name} vs the CPU backend");
    }

    [Test]
    public void Step_OnTheDevice_UploadsTheSampleOnce_ReadsBackOnlyTheLoss_AndKeepsMatching()
    {
        var onCpu = new DqnTrainB32();
        var onDevice = new DqnTrainB32();
        onCpu.Setup(new QuickSetup(1, Smoke: true));
        onDevice.Setup(new QuickSetup(1, _gpu, Smoke: true));
        long up = _gpu.HostUploads, down = _gpu.HostDownloads;
        onDevice.Run();
        onCpu.Run();
        Assert.That(_gpu.HostUploads - up, Is.EqualTo(5), "uploads per step: states, next states, actions, rewards, not-done");
        Assert.That(_gpu.HostDownloads - down, Is.EqualTo(1), "downloads per step: the loss (the one synchronisation)");
        // The second step's loss depends on the first Adam update, so it checks the optimizer on the device too.
        Assert.That(onDevice.LastLoss, Is.EqualTo(onCpu.LastLoss).Within(1e-4 * (1 + Math.Abs(onCpu.LastLoss))),
                    "second-step loss");
    }
}
