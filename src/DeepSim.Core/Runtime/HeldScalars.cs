using System.Collections.Concurrent;
using TorchSharp;

namespace DeepSim.Runtime;

/// <summary>
/// TorchSharp scalars that are never freed while libtorch may still read them.
/// </summary>
/// <remarks>
/// <para>TorchSharp 0.107 frees a <see cref="Scalar"/>'s native handle in its finalizer. A temporary scalar (the
/// implicit conversion of a <c>double</c> argument, or the default <c>alpha</c> that <c>Tensor.add(Tensor)</c> and
/// <c>tensor + tensor</c> make inside TorchSharp) is unreachable as soon as its handle has been loaded for the native
/// call, so a garbage collection started by any other thread can free it while libtorch reads it: the call then fails
/// with "Unknown scalar type" or <c>Scalar::toFloat</c>, rarely and not reproducibly. DeepSim therefore passes only
/// scalars that are kept reachable: the constants of this class (cached for the life of the process), or a scalar
/// held by a <c>using</c> local that outlives the call (<c>using var s = value.ToScalar();</c>) for values that
/// change from call to call. <c>ScalarLifetimeTests</c> reads DeepSim.Core's IL and fails on any other pattern.</para>
/// </remarks>
public static class HeldScalars
{
    private static readonly ConcurrentDictionary<long, Scalar> Constants = new();
    private static readonly ConcurrentDictionary<long, Scalar> IntegerConstants = new();

    /// <summary>1.0, the <c>alpha</c> of a plain addition of floating-point tensors (integer tensors need
    /// <c>OfInteger(1)</c>: libtorch refuses a floating-point alpha for them).</summary>
    public static Scalar One { get; } = Of(1.0);

    /// <summary>0.</summary>
    public static Scalar Zero { get; } = Of(0.0);

    /// <summary>
    /// The scalar for a constant of the code (a literal, or one of a small fixed set of values), created once and kept
    /// for the life of the process. Values computed at run time (learning rates, step sizes, counts) must not come
    /// here, since every distinct value stays cached: hold those in a <c>using</c> local instead.
    /// </summary>
    /// <param name="value">The constant.</param>
    /// <returns>A double-precision scalar that is never freed.</returns>
    public static Scalar Of(double value) =>
        Constants.GetOrAdd(BitConverter.DoubleToInt64Bits(value), static bits => BitConverter.Int64BitsToDouble(bits).ToScalar());

    /// <summary>
    /// The integer scalar for a constant of the code, for arithmetic on integer tensors (indices), which a
    /// floating-point scalar would promote to floating point. Same rule as <see cref="Of"/>: constants, or values from a
    /// small bounded set such as image and grid sizes.
    /// </summary>
    /// <param name="value">The constant.</param>
    /// <returns>A 64-bit integer scalar that is never freed.</returns>
    public static Scalar OfInteger(long value) => IntegerConstants.GetOrAdd(value, static v => v.ToScalar());
}
