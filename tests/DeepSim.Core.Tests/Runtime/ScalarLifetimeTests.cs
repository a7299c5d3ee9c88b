using System.Reflection;
using System.Reflection.Emit;
using DeepSim.Runtime;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;

namespace DeepSim.Tests.Runtime;

/// <summary>
/// Guards the rule of <see cref="HeldScalars"/> by reading DeepSim.Core's IL: TorchSharp 0.107 frees a temporary
/// <see cref="Scalar"/> in its finalizer, possibly while libtorch still reads it, so DeepSim must never create one.
/// A call is flagged when it (a) converts a number to a Scalar implicitly, (b) calls <c>ToScalar</c> without keeping the
/// result in a disposed (<c>using</c>) local or a static field, (c) calls a TorchSharp method whose own IL makes a
/// temporary Scalar (found by reading TorchSharp's IL, not by a list: <c>Tensor.add(Tensor)</c>, <c>tensor + tensor</c>,
/// <c>tensor * 2.0</c> ...), or (d) steps a TorchSharp optimiser (every one of them makes scalars in its step).
/// </summary>
public class ScalarLifetimeTests(ITestOutputHelper output)
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static readonly Dictionary<MethodBase, bool> TorchVerdicts = [];

    [Fact]
    public void DeepSimCoreCreatesNoTemporaryScalar()
    {
        var violations = Violations(typeof(HeldScalars).Assembly).ToList();
        foreach (var v in violations)
        {
            output.WriteLine(v);
        }

        Assert.True(violations.Count == 0, $"{violations.Count} call(s) make a temporary TorchSharp Scalar (see HeldScalars):\n" + string.Join("\n", violations.Take(60)));
    }

    [Fact]
    public void TheGuardRecognisesTheTemporaryScalarsOfTorchSharp()
    {
        // The rule (c) is derived from TorchSharp's IL: check that it sees the cases the README names, and that it
        // does not flag the explicit overloads DeepSim uses instead. If TorchSharp changes, this says so.
        var tensor = typeof(torch.Tensor);
        Assert.True(MakesScalar(tensor.GetMethod("add", [tensor])!), "Tensor.add(Tensor) makes its alpha = 1 implicitly.");
        Assert.True(MakesScalar(tensor.GetMethod("op_Addition", [tensor, tensor])!), "tensor + tensor goes through add(Tensor).");
        Assert.False(MakesScalar(tensor.GetMethod("add", [tensor, typeof(Scalar)])!), "Tensor.add(Tensor, Scalar) takes the caller's scalar.");
        Assert.False(MakesScalar(tensor.GetMethod("mul", [tensor])!), "Tensor.mul(Tensor) has no scalar.");
        var adam = typeof(torch.optim).Assembly.GetType("TorchSharp.Modules.Adam")!;
        Assert.True(MakesScalar(adam.GetMethod("step", [typeof(Func<torch.Tensor>)])!), "Adam.step makes scalars.");
    }

    [Fact]
    public void TheGuardFlagsEachPatternOfAFixture()
    {
        var flagged = Violations(typeof(ScalarFixture).Assembly, typeof(ScalarFixture)).ToList();
        foreach (var v in flagged)
        {
            output.WriteLine(v);
        }

        Assert.Contains(flagged, v => v.Contains("ImplicitDouble") && v.Contains("op_Implicit"));
        Assert.Contains(flagged, v => v.Contains("TensorPlusTensor") && v.Contains("op_Addition"));
        Assert.Contains(flagged, v => v.Contains("ToScalarInline") && v.Contains("ScalarExtensionMethods.ToScalar"));
        Assert.DoesNotContain(flagged, v => v.Contains("HeldAndExplicit"));
        Assert.DoesNotContain(flagged, v => v.Contains("UsingLocal"));
        Assert.Equal(3, flagged.Count);
    }

    private static IEnumerable<string> Violations(Assembly assembly, Type? only = null)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var types = only is null ? assembly.GetTypes() : [only, .. only.GetNestedTypes(All)];
        foreach (var type in types)
        {
            if (type == typeof(HeldScalars) || type.DeclaringType == typeof(HeldScalars))
            {
                continue;
            }

            foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                foreach (var v in MethodViolations(method))
                {
                    yield return $"{type.FullName}.{method.Name}: {v}";
                }
            }
        }
    }

    private static IEnumerable<string> MethodViolations(MethodBase method)
    {
        var calls = Calls(method).ToList();
        for (var i = 0; i < calls.Count; i++)
        {
            var (offset, _, callee, next, il) = calls[i];
            if (callee is null)
            {
                continue;
            }

            var name = $"{callee.DeclaringType?.Name}.{callee.Name}";
            if (IsConversion(callee))
            {
                if (!IsHeld(method, il, next))
                {
                    yield return $"IL_{offset:x4} {name}: a temporary Scalar (neither a using local nor a static field)";
                }
            }
            else if (callee.DeclaringType?.Assembly == typeof(Scalar).Assembly)
            {
                if (callee.Name == "step" && typeof(torch.optim.Optimizer).IsAssignableFrom(callee.DeclaringType))
                {
                    yield return $"IL_{offset:x4} {name}: TorchSharp's optimisers make temporary scalars in every step";
                }
                else if (MakesScalar(callee))
                {
                    yield return $"IL_{offset:x4} {name}({string.Join(", ", callee.GetParameters().Select(p => p.ParameterType.Name))}): makes a temporary Scalar inside TorchSharp";
                }
            }
        }
    }

    /// <summary>True when the instruction at <paramref name="next"/> stores the value into a static field, or into a
    /// local that the method disposes (the shape of <c>using var</c>).</summary>
    private static bool IsHeld(MethodBase method, byte[] il, int next)
    {
        var (op, operandAt) = Decode(il, next);
        if (op == OpCodes.Stsfld)
        {
            return true;
        }

        int? local = op.Value switch
        {
            var v when v == OpCodes.Stloc_0.Value => 0,
            var v when v == OpCodes.Stloc_1.Value => 1,
            var v when v == OpCodes.Stloc_2.Value => 2,
            var v when v == OpCodes.Stloc_3.Value => 3,
            var v when v == OpCodes.Stloc_S.Value => il[operandAt],
            var v when v == OpCodes.Stloc.Value => BitConverter.ToUInt16(il, operandAt),
            _ => null,
        };
        if (local is null)
        {
            return false;
        }

        // A using local is loaded once more in the finally block right before IDisposable.Dispose (or Scalar.Dispose).
        var position = 0;
        OpCode previous = OpCodes.Nop;
        var previousLocal = -1;
        while (position < il.Length)
        {
            var (current, at) = Decode(il, position);
            if ((current == OpCodes.Callvirt || current == OpCodes.Call) && previous != OpCodes.Nop && previousLocal == local
                && Resolve(method, BitConverter.ToInt32(il, at))?.Name == "Dispose")
            {
                return true;
            }

            previousLocal = LoadedLocal(current, il, at);
            previous = previousLocal >= 0 ? current : OpCodes.Nop;
            position = at + OperandSize(current, il, at);
        }

        return false;
    }

    private static int LoadedLocal(OpCode op, byte[] il, int operandAt) => op.Value switch
    {
        var v when v == OpCodes.Ldloc_0.Value => 0,
        var v when v == OpCodes.Ldloc_1.Value => 1,
        var v when v == OpCodes.Ldloc_2.Value => 2,
        var v when v == OpCodes.Ldloc_3.Value => 3,
        var v when v == OpCodes.Ldloc_S.Value => il[operandAt],
        var v when v == OpCodes.Ldloc.Value => BitConverter.ToUInt16(il, operandAt),
        _ => -1,
    };

    /// <summary>Whether a TorchSharp method's own IL (or a lambda it creates) converts a number to a Scalar.</summary>
    private static bool MakesScalar(MethodBase method)
    {
        lock (TorchVerdicts)
        {
            if (TorchVerdicts.TryGetValue(method, out var known))
            {
                return known;
            }

            TorchVerdicts[method] = false; // recursion guard
            var verdict = Calls(method).Any(c => c.Callee is not null && (
                (IsConversion(c.Callee) && !IsHeld(method, c.Il, c.Next))
                || (c.Callee.DeclaringType?.Assembly == typeof(Scalar).Assembly && !IsConversion(c.Callee)
                    && (c.OpCode == OpCodes.Ldftn || c.Callee.DeclaringType == method.DeclaringType)
                    && MakesScalar(c.Callee))));
            TorchVerdicts[method] = verdict;
            return verdict;
        }
    }

    private static bool IsConversion(MethodBase callee) =>
        (callee.DeclaringType == typeof(Scalar) && callee.Name == "op_Implicit")
        || (callee.DeclaringType?.Name == "ScalarExtensionMethods" && callee.Name == "ToScalar");

    private static MethodBase? Resolve(MethodBase method, int token)
    {
        try
        {
            return method.Module.ResolveMethod(
                token,
                method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null,
                method.IsGenericMethod ? method.GetGenericArguments() : null);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static IEnumerable<(int Offset, OpCode OpCode, MethodBase? Callee, int Next, byte[] Il)> Calls(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var position = 0;
        while (position < il.Length)
        {
            var start = position;
            var (op, operandAt) = Decode(il, position);
            position = operandAt + OperandSize(op, il, operandAt);
            if (op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj || op == OpCodes.Ldftn)
            {
                var callee = Resolve(method, BitConverter.ToInt32(il, operandAt));
                yield return (start, op, callee, position, il);
            }
        }
    }

    private static (OpCode Op, int OperandAt) Decode(byte[] il, int position)
    {
        short value = il[position++];
        if (value == 0xFE)
        {
            value = (short)(0xFE00 | il[position++]);
        }

        return (OpCodesByValue[value], position);
    }

    private static int OperandSize(OpCode op, byte[] il, int operandAt) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, operandAt)),
        _ => 4,
    };

    /// <summary>Each pattern once: three that make temporary scalars, two that do not.</summary>
    private static class ScalarFixture
    {
        public static torch.Tensor ImplicitDouble(torch.Tensor t) => t.mul(2.5);

        public static torch.Tensor TensorPlusTensor(torch.Tensor a, torch.Tensor b) => a + b;

        public static torch.Tensor ToScalarInline(torch.Tensor t) => t.mul(3.5.ToScalar());

        public static torch.Tensor HeldAndExplicit(torch.Tensor a, torch.Tensor b) => a.add(b, HeldScalars.One).mul(HeldScalars.Of(2.0));

        public static torch.Tensor UsingLocal(torch.Tensor t, double factor)
        {
            using var s = factor.ToScalar();
            return t.mul(s);
        }
    }
}
