// A DQN written by hand from the library's pieces, top to bottom: a built-in MinAtar game, a Q-network and its
// target copy from Nn, Dopamine-style replay, ε-greedy exploration, and the update
// Q(s,a) → r + γ^n·max_a' Q̄(s',a') with Adam. The library's own DqnAgent + Runner do the same with every
// option; this is the loop laid bare.
// Run: dotnet run -c Release --project samples/CustomAgent -- [steps, default 20000] [game, default breakout]
using System.Globalization;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Optim;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Exploration;
using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

int totalSteps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
string game = args.Length > 1 ? args[1] : "breakout";
const int BatchSize = 32, Warmup = 1_000, TrainEvery = 4, TargetEvery = 1_000;
const float Gamma = 0.99f;

// <setup>
var env = MinAtarGames.Create(game, seed: 0);     // 10×10×C board of 0/1 bytes, 6 actions
int[] obs = [.. env.ObservationShape];
var config = NetworkConfig.Baseline() with { Encoder = EncoderKind.MinAtar }; // conv 16@3×3 → Dense(512) → Q
var online = NetworkBuilder.Build(config, obs, env.ActionCount, new Rng(1), new Rng(2));
var target = NetworkBuilder.Build(config, obs, env.ActionCount, new Rng(1), new Rng(2));
online.CopyWeightsInto(target);
var adam = new Adam(online.NamedParameters(), learningRate: 2.5e-4f, eps: 3.125e-4f);
var replay = new ReplayBuffer(
    new ReplayConfig { Capacity = 100_000, Height = obs[0], Width = obs[1], Channels = obs[2], StackSize = 1,
                       Gamma = Gamma, BatchSize = BatchSize },
    new UniformSampler(new Rng(3)));
var epsilon = new LinearSchedule(DecayPeriod: totalSteps / 4, WarmupSteps: Warmup, FinalValue: 0.01);
var actRng = new Rng(4);
// </setup>

// Host-side batch buffers, allocated once.
int stateBytes = replay.Config.StateBytes;
var (indices, probs) = (new int[BatchSize], new float[BatchSize]);
var (states, nextStates) = (new byte[BatchSize * stateBytes], new byte[BatchSize * stateBytes]);
var (actions, returns, discounts) = (new int[BatchSize], new float[BatchSize], new float[BatchSize]);
var (bestNext, nextValues, targets) = (new int[BatchSize], new float[BatchSize], new float[BatchSize]);
Shape batchShape = new([BatchSize, .. obs]), oneShape = new([1, .. obs]);

// <act>
int Act(long step)
{
    using var scope = TensorScope.Begin();
    using var noGrad = Tensor.NoGrad();
    var q = online.Forward(Tensor.FromBytes(env.Observation, oneShape, env.ObservationScale)).Q;
    return EpsilonGreedy.SelectAction(q.Span, epsilon.Value(step), actRng);
}
// </act>

// <update>
float Update()
{
    replay.SampleIndices(indices, probs);
    replay.FillBatch(indices, states, actions, returns, discounts, nextStates);
    using var scope = TensorScope.Begin();
    using (Tensor.NoGrad()) // the target side: y = R + γ^n·max_a' Q̄(s', a'), no graph
    {
        var nextQ = target.Forward(Tensor.FromBytes(nextStates, batchShape, env.ObservationScale)).Q;
        DqnMath.GreedyActions(nextQ.Span, env.ActionCount, bestNext);
        DqnMath.GatherRows(nextQ.Span, env.ActionCount, bestNext, nextValues);
        DqnMath.TdTargets(returns, discounts, nextValues, targets);
    }
    var q = online.Forward(Tensor.FromBytes(states, batchShape, env.ObservationScale)).Q;  // [B, A]
    var chosen = Ops.Gather(q, 1, DqnMath.ActionIndex(actions)).Reshape(BatchSize);     // Q(s, a) [B]
    var loss = Ops.MseLoss(chosen, Tensor.FromArray(targets, new Shape(BatchSize)));
    adam.ZeroGrad();
    loss.Backward();
    adam.Step();
    return loss.Item();
}
// </update>

// <loop>
var returnsSeen = new List<float>();
float episodeReturn = 0, lastLoss = float.NaN;
env.Reset();
for (long step = 0; step < totalSteps; step++)
{
    int action = Act(step);
    var frame = env.Observation.ToArray();        // o_t: the frame the action was taken in
    var result = env.Step(action);
    replay.Add(frame, action, result.Reward, result.Terminated, result.Truncated);
    episodeReturn += result.Reward;
    if (result.Done)
    {
        returnsSeen.Add(episodeReturn);
        episodeReturn = 0;
        env.Reset();
    }
    if (step >= Warmup && step % TrainEvery == 0) lastLoss = Update();
    if (step % TargetEvery == 0) online.CopyWeightsInto(target);
    if ((step + 1) % 5_000 == 0 && returnsSeen.Count > 0)
    {
        Console.WriteLine($"step {step + 1,6}: {returnsSeen.Count} episodes, mean return of the last 20 " +
                          $"{returnsSeen.TakeLast(20).Average():F2}, ε {epsilon.Value(step):F2}, loss {lastLoss:F4}");
    }
}
// </loop>

Console.WriteLine($"{game}: {returnsSeen.Count} episodes in {totalSteps} steps; first 20 mean " +
                  $"{(returnsSeen.Count > 0 ? returnsSeen.Take(20).Average() : 0):F2}, last 20 mean " +
                  $"{(returnsSeen.Count > 0 ? returnsSeen.TakeLast(20).Average() : 0):F2}");
env.Dispose();
return float.IsFinite(lastLoss) || totalSteps <= Warmup ? 0 : 1;
