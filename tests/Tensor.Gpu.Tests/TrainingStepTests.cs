using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Optim;
using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests;

/// <summary>
/// A whole training step (uint8 frames → conv → relu → max-pool → linear → MSE → backward → Adam) on the GPU
/// backend: it must match the CPU backend step for step, keep every tensor on the device (one upload per batch,
/// one download per logged loss) and recycle its intermediates (no growth of live buffers).
/// </summary>
public abstract class TrainingStepTests : GpuTestBase
{
    private sealed class TinyNet
    {
        public TinyNet(IBackend backend)
        {
            var rng = new Rng(42);
            ConvW = Tensor.Normal(new Shape(3, 3, 2, 4), 0f, 0.3f, rng);
            ConvB = Tensor.Zeros(new Shape(4));
            Head = new Linear(3 * 3 * 4, 3, rng);
            ConvW.RequiresGrad = true;
            ConvB.RequiresGrad = true;
            ConvW.MoveTo(backend);
            ConvB.MoveTo(backend);
            Head.MoveTo(backend);
            Optimizer = new Adam([new("conv.w", ConvW), new("conv.b", ConvB), .. Head.NamedParameters("head.")], 1e-2f);
        }

        public Tensor ConvW { get; }

        public Tensor ConvB { get; }

        public Linear Head { get; }

        public Adam Optimizer { get; }

        /// <summary>One step; returns the loss value (the one scalar read back).</summary>
        public float Step(byte[] frames, float[] targets, IBackend backend)
        {
            using var scope = TensorScope.Begin();
            var x = Tensor.FromBytes(frames, new Shape(2, 7, 7, 2), backend: backend);                // [B, H, W, C]
            var h = Ops.Relu(Ops.Conv2d(x, ConvW, ConvB, 1, Padding.Same));                           // [B, 7, 7, 4]
            var p = Ops.MaxPool2d(h, 3, 2, Padding.Valid);                                            // [B, 3, 3, 4]
            var q = Head.Forward(p.Flatten());                                                          // [B, 3]
            var t = Tensor.FromArray(targets, new Shape(2, 3), backend);
            var loss = Ops.Mean(Ops.Square(Ops.Sub(q, t)));
            Optimizer.ZeroGrad();
            loss.Backward();
            Optimizer.Step();
            return loss.Item();
        }
    }

    [Test]
    public void ThreeSteps_MatchCpu_StayOnDevice_AndRecycle()
    {
        var gpuNet = new TinyNet(Gpu);
        var cpuNet = new TinyNet(CpuBackend.Instance);
        var rng = new Rng(5);
        int liveAfterFirst = -1;
        for (int step = 0; step < 3; step++)
        {
            var frames = new byte[2 * 7 * 7 * 2];
            for (int i = 0; i < frames.Length; i++) frames[i] = (byte)rng.NextInt(256);
            var targets = RandomData(rng, 6);
            long up = Gpu.HostUploads, down = Gpu.HostDownloads;
            float gpuLoss = gpuNet.Step(frames, targets, Gpu);
            float cpuLoss = cpuNet.Step(frames, targets, CpuBackend.Instance);
            Assert.That(gpuLoss, Is.EqualTo(cpuLoss).Within(1e-4 * (1 + Math.Abs(cpuLoss))), $"loss at step {step}");
            Assert.That(Gpu.HostUploads - up, Is.EqualTo(2), "uploads per step: the frames and the targets");
            Assert.That(Gpu.HostDownloads - down, Is.EqualTo(1), "downloads per step: the logged loss");
            if (step == 0) liveAfterFirst = Gpu.LiveBuffers;
            else Assert.That(Gpu.LiveBuffers, Is.EqualTo(liveAfterFirst), "intermediates are recycled every step");
        }
        AssertClose("conv weight after 3 steps", gpuNet.ConvW.ToArray(), cpuNet.ConvW.ToArray(), 1e-4);
        AssertClose("head weight after 3 steps", gpuNet.Head.Weight.ToArray(), cpuNet.Head.Weight.ToArray(), 1e-4);
        Assert.That(gpuNet.ConvW.Backend, Is.SameAs(Gpu));
        Assert.That(gpuNet.Optimizer.StateDict().Values.All(s => ReferenceEquals(s.Backend, Gpu)), Is.True,
                    "optimizer state lives on the device");
    }
}
