using MoeScratch.Rl.Envs.MinAtar;

namespace MoeScratch.Rl.Tests.Envs.MinAtar;

/// <summary>Shared helpers for the MinAtar rule tests.</summary>
internal static class MinAtarTestUtil
{
    /// <summary>No sticky actions, ramping on: rule tests drive the game with exact actions.</summary>
    public static readonly MinAtarOptions Exact = new() { StickyActionProbability = 0 };

    /// <summary>No sticky actions, ramping off.</summary>
    public static readonly MinAtarOptions ExactNoRamp = new() { StickyActionProbability = 0, DifficultyRamping = false };

    /// <summary>Observation byte at (y, x, c).</summary>
    public static byte At(MinAtarGame game, int y, int x, int c) =>
        game.Observation[(y * MinAtarGame.Size + x) * game.Channels + c];

    /// <summary>All (y, x) cells set in channel c, as "y,x" strings in row-major order.</summary>
    public static string[] Cells(MinAtarGame game, int c)
    {
        var cells = new List<string>();
        for (int y = 0; y < MinAtarGame.Size; y++)
        {
            for (int x = 0; x < MinAtarGame.Size; x++)
            {
                if (At(game, y, x, c) != 0) cells.Add($"{y},{x}");
            }
        }
        return [.. cells];
    }

    /// <summary>Steps the rules n times with one action (no sticky draw) and returns the summed reward.</summary>
    public static int Repeat(MinAtarGame game, MinAtarAction action, int n)
    {
        int total = 0;
        for (int i = 0; i < n; i++) total += game.StepRules(action);
        return total;
    }
}
