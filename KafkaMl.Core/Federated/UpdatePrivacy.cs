namespace KafkaMl.Core.Federated;

/// <summary>
/// Client-side update clipping with Gaussian noise (the Gaussian mechanism of DP-FedAvg): the update
/// <c>Δ = w_local − w_global</c> over the floating tensors is scaled to an L2 norm of at most <c>clipNorm</c>, then every
/// element gets noise drawn from N(0, (noiseMultiplier·clipNorm)²). What leaves the site is <c>w_global + Δ'</c>.
/// </summary>
public static class UpdatePrivacy
{
    /// <summary>The L2 norm of <c>local − global</c> over the floating tensors.</summary>
    public static double UpdateNorm(WeightSet local, WeightSet global)
    {
        var squares = 0.0;
        foreach (var tensor in local.Tensors.Where(t => t.IsFloating))
        {
            var reference = global.ByName[tensor.Name].Values;
            for (var i = 0; i < reference.Length; i++)
            {
                var d = tensor.Values[i] - reference[i];
                squares += d * d;
            }
        }
        return Math.Sqrt(squares);
    }

    /// <summary>The weights to send: the clipped (and, with a noise multiplier above 0, noised) update added to the global weights.</summary>
    public static WeightSet Apply(WeightSet local, WeightSet global, double clipNorm, double noiseMultiplier, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clipNorm);
        ArgumentOutOfRangeException.ThrowIfNegative(noiseMultiplier);
        var norm = UpdateNorm(local, global);
        var scale = norm > clipNorm ? clipNorm / norm : 1.0;
        var deviation = noiseMultiplier * clipNorm;
        return local.Map(tensor =>
        {
            if (!tensor.IsFloating) return tensor.Values;
            var reference = global.ByName[tensor.Name].Values;
            var values = new double[reference.Length];
            for (var i = 0; i < values.Length; i++)
                values[i] = reference[i] + (tensor.Values[i] - reference[i]) * scale + (deviation > 0 ? deviation * Gaussian(random) : 0);
            return values;
        });
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
