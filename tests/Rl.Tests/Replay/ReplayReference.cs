using MoeScratch.Rl.Replay;

namespace MoeScratch.Rl.Tests.Replay;

/// <summary>
/// An independent, slow model of what <see cref="ReplayBuffer"/> must return: it keeps the full history of
/// adds with an episode id per step and answers from that, so it shares no index arithmetic with the buffer.
/// </summary>
internal sealed class ReplayReference(ReplayConfig config)
{
    private sealed record Step(byte[] Frame, int Action, float Reward, bool Terminal, bool End, long EpisodeStart);

    private readonly List<Step> _log = [];

    public long AddCount => _log.Count;

    /// <summary>Frame of step t: two values per pixel-channel that never repeat within 120 steps and are never 0.</summary>
    public byte[] FrameFor(long t)
    {
        var f = new byte[config.FrameBytes];
        for (int i = 0; i < f.Length; i++) f[i] = (byte)(1 + (t + 7 * i) % 120 + (i % 2) * 128);
        return f;
    }

    public void Add(ReplayBuffer buffer, int action, float reward, bool terminal, bool end)
    {
        long t = _log.Count;
        bool start = t == 0 || _log[^1].End;
        byte[] frame = FrameFor(t);
        _log.Add(new Step(frame, action, reward, terminal, end || terminal, start ? t : _log[^1].EpisodeStart));
        buffer.Add(frame, action, reward, terminal, end);
    }

    /// <summary>The global step a slot holds now, or −1.</summary>
    public long GlobalOfSlot(int slot)
    {
        for (long t = AddCount - 1; t >= Math.Max(0, AddCount - config.Capacity); t--)
        {
            if (t % config.Capacity == slot) return t;
        }
        return -1;
    }

    public bool IsValid(long t)
    {
        long oldest = Math.Max(0, AddCount - config.Capacity);
        if (t < oldest || t >= AddCount) return false;
        long firstFrame = Math.Max(t - config.StackSize + 1, _log[(int)t].EpisodeStart);
        if (firstFrame < oldest) return false;
        for (int k = 0; k < config.UpdateHorizon; k++)
        {
            long g = t + k;
            if (g >= AddCount) return false;
            if (_log[(int)g].Terminal) return true;
            if (_log[(int)g].End) return false;
        }
        long next = t + config.UpdateHorizon;
        return next < AddCount && _log[(int)next].EpisodeStart == _log[(int)t].EpisodeStart;
    }

    /// <summary>State [H·W, S·C] for step t, zeros before t's episode start.</summary>
    public byte[] State(long t)
    {
        int s = config.StackSize, c = config.Channels, pixels = config.Height * config.Width;
        var state = new byte[config.StateBytes];
        for (int k = 0; k < s; k++)
        {
            long g = t - s + 1 + k;
            if (g < _log[(int)t].EpisodeStart) continue;
            byte[] f = _log[(int)g].Frame;
            for (int p = 0; p < pixels; p++)
            {
                for (int ch = 0; ch < c; ch++) state[(p * s + k) * c + ch] = f[p * c + ch];
            }
        }
        return state;
    }

    public (int Action, double Return, double Discount, byte[] Next) Target(long t)
    {
        double ret = 0;
        for (int k = 0; k < config.UpdateHorizon; k++)
        {
            Step st = _log[(int)(t + k)];
            ret += Math.Pow(config.Gamma, k) * st.Reward;
            if (st.Terminal) return (_log[(int)t].Action, ret, 0.0, new byte[config.StateBytes]);
        }
        return (_log[(int)t].Action, ret, Math.Pow(config.Gamma, config.UpdateHorizon), State(t + config.UpdateHorizon));
    }
}
