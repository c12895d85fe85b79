namespace MoeScratch.Nn.Moe;

/// <summary>
/// The host-side dispatch plan of <see cref="TopKMoe"/> (dopamine routers.py): which token fills each
/// expert slot, and which slot each (token, choice) reads back. Slots are laid out [n, B, c] so the expert input
/// reshapes to [n, B·c, d] without a copy.
/// </summary>
/// <param name="SlotToken">Flat token index b·m + t for each of the n·B·c slots (0 for unfilled slots).</param>
/// <param name="SlotFilled">1 for a filled slot, 0 for padding [n·B·c].</param>
/// <param name="ChoiceSlot">Slot index for each (b, t, choice) [B·m·k] (0 when dropped).</param>
/// <param name="ChoiceKept">1 when the (token, choice) fit under capacity, else 0 [B·m·k].</param>
internal sealed record CapacityPlan(float[] SlotToken, float[] SlotFilled, float[] ChoiceSlot, float[] ChoiceKept)
{
    /// <summary>
    /// Fills each expert's c slots per observation first come first served: choice rank 0 of tokens 0..m−1, then
    /// rank 1, … (positional priority, not gate value; routers.py, moe.py).
    /// </summary>
    /// <param name="choice">Chosen expert per (b, t, rank) [B·m·k], exact integers.</param>
    /// <param name="b">B.</param><param name="m">m.</param><param name="n">n.</param>
    /// <param name="k">k.</param><param name="c">Slots per expert and observation.</param>
    public static CapacityPlan Build(float[] choice, int b, int m, int n, int k, int c)
    {
        var slotToken = new float[n * b * c];
        var slotFilled = new float[n * b * c];
        var choiceSlot = new float[b * m * k];
        var choiceKept = new float[b * m * k];
        var used = new int[n];
        for (int i = 0; i < b; i++)
        {
            Array.Clear(used);
            for (int r = 0; r < k; r++)
            {
                for (int t = 0; t < m; t++)
                {
                    int at = (i * m + t) * k + r;
                    int e = (int)choice[at];
                    if (used[e] >= c) continue; // dropped: output row stays zero
                    int slot = (e * b + i) * c + used[e]++;
                    slotToken[slot] = i * m + t;
                    slotFilled[slot] = 1f;
                    choiceSlot[at] = slot;
                    choiceKept[at] = 1f;
                }
            }
        }
        return new CapacityPlan(slotToken, slotFilled, choiceSlot, choiceKept);
    }
}
