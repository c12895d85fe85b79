// A Soft MoE layer, top to bottom (Puigcerver et al. 2023; used in deep RL by Obando-Ceron et al., ICML 2024):
// build one, route a batch of tokens, print the dispatch and combine statistics, run it forward and backward;
// then build a whole Q-network with a Soft MoE torso and round-trip it through a safetensors file.
// Run: dotnet run -c Release --project samples/SoftMoeLayer
using MoeScratch.Nn.Checkpoints;
using MoeScratch.Nn.Moe;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;

// <build>
const int Batch = 8, Tokens = 16, Dim = 8, Experts = 4;
// m = 16 tokens of d = 8 per observation, n = 4 experts. Slots per expert p = ceil(m / n) = 4 (capacity
// factor 1, as dopamine/labs/moes/architectures/softmoe.py); Φ is [d, n·p], each expert an MLP d → 32 → d.
var rng = new Rng(seed: 1);
var moe = new SoftMoe(Dim, Tokens, new SoftMoeOptions(Experts, ExpertHidden: 32), rng);
Console.WriteLine($"Soft MoE: {moe.NumExperts} experts × {moe.SlotsPerExpert} slots, Φ {moe.Phi.Shape}, " +
                  $"{moe.ParameterCount} parameters");
// </build>

// <route>
var tokens = Tensor.Normal(new Shape(Batch, Tokens, Dim), 0f, 1f, rng);
var (dispatch, combine) = moe.Route(tokens); // both [B, m, n·p], softmaxes of the same logits X·Φ
// Dispatch: a softmax over the token axis, so each slot's input is a convex mix of the tokens.
var slotMass = Ops.Sum(dispatch, [1]);       // [B, n·p], every entry 1
// Combine: a softmax over all slots, so each output token is a convex mix of the slot outputs.
var tokenMass = Ops.Sum(combine, [2]);       // [B, m], every entry 1
Console.WriteLine($"dispatch: Σ over tokens per slot ∈ [{Ops.Min(slotMass).Item():F4}, " +
                  $"{Ops.Max(slotMass).Item():F4}], largest weight {Ops.Max(dispatch).Item():F3} " +
                  $"(uniform would be {1f / Tokens:F3})");
Console.WriteLine($"combine:  Σ over slots per token ∈ [{Ops.Min(tokenMass).Item():F4}, " +
                  $"{Ops.Max(tokenMass).Item():F4}], largest weight {Ops.Max(combine).Item():F3} " +
                  $"(uniform would be {1f / moe.TotalSlots:F3})");
var entropy = Ops.Neg(Ops.Mean(Ops.Sum(Ops.Mul(combine, Ops.Log(combine)), [2])));
Console.WriteLine($"combine entropy {entropy.Item():F3} nats " +
                  $"(max ln {moe.TotalSlots} = {MathF.Log(moe.TotalSlots):F3})");
// </route>

// <forward>
MoeOutput output = moe.Forward(tokens);           // Values [B, m, d]; routing statistics for logging
var mass = Ops.Mean(output.RouterProbabilities, [0, 1]).ToArray(); // share of combine mass per expert
var top = output.TopExperts.ToArray();            // each token's heaviest expert (float indices)
for (int e = 0; e < Experts; e++)
{
    int picked = top.Count(t => (int)t == e);
    Console.WriteLine($"expert {e}: combine mass {mass[e]:P1}, heaviest for {picked,3} of {top.Length} tokens");
}
var objective = Ops.Mean(Ops.Square(output.Values));
objective.Backward();                             // gradients reach Φ and every expert
Console.WriteLine($"output {output.Values.Shape}; ‖∂L/∂Φ‖² = {Ops.Sum(Ops.Square(moe.Phi.Grad!)).Item():E3}");
// </forward>

// <network>
// A whole value network: MinAtar encoder (one 16@3×3 conv) → PerConv tokens → Soft MoE (4 experts) → flatten →
// Q head for 6 actions. NetworkConfig.SoftMoe(n) is the paper's SoftMoE-n torso.
var config = NetworkConfig.SoftMoe(4) with { Encoder = EncoderKind.MinAtar, ExpertHidden = 64 };
QNetwork net = NetworkBuilder.Build(config, observationShape: [10, 10, 4], actions: 6, new Rng(2), new Rng(3));
var frames = Tensor.Uniform(new Shape(2, 10, 10, 4), 0f, 1f, rng);
var q = net.Forward(frames).Q;                    // [2, 6]
Console.WriteLine($"Q-network: {net.ParameterCount} parameters, Q {q.Shape}; first names: " +
                  string.Join(", ", net.NamedParameters().Take(3).Select(p => $"{p.Key} {p.Value.Shape}")));
// </network>

// <safetensors>
// One .safetensors file, dotted names as PyTorch's state_dict; load_file() in Python reads it.
string path = Path.Combine(Path.GetTempPath(), $"softmoe-sample-{Environment.ProcessId}.safetensors");
ModuleCheckpoint.Save(path, net, step: 0);
var copy = NetworkBuilder.Build(config, [10, 10, 4], 6, new Rng(99), new Rng(98)); // different init
ModuleCheckpoint.Load(path, copy);                // checks every name, shape and dtype before copying
var qCopy = copy.Forward(frames).Q;
float diff = Ops.Max(Ops.Abs(q - qCopy)).Item();
Console.WriteLine($"reloaded from {new FileInfo(path).Length:N0} bytes: max |ΔQ| = {diff}");
File.Delete(path);
// </safetensors>

bool ok = Math.Abs(Ops.Min(slotMass).Item() - 1) < 1e-4 && Math.Abs(Ops.Max(tokenMass).Item() - 1) < 1e-4 && diff == 0f;
Console.WriteLine(ok ? "OK" : "FAILED");
return ok ? 0 : 1;
