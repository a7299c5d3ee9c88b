BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    # SSH remoting needs Debian's openssh-server (sshd) and openssh-client (ssh, ssh-keygen); .ci/run installs them.
    $HasSsh = (Test-Path '/usr/sbin/sshd') -and [bool](Get-Command ssh -ErrorAction SilentlyContinue) -and [bool](Get-Command ssh-keygen -ErrorAction SilentlyContinue)
    if (-not $HasSsh) {
        if ($InCi) { throw 'CI must have openssh-server and openssh-client for the SSH remoting test.' }
        Write-Host 'Skipping the SSH remoting test: /usr/sbin/sshd, ssh or ssh-keygen not found (apt-get install openssh-server openssh-client).' -ForegroundColor Yellow
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $manifest = (Resolve-Path $ModuleManifest).Path

    # One line per result, with every per-patch number: two runs agree only if every rank and score agrees bit for bit.
    function Get-Fingerprint([object[]] $Results) {
        foreach ($r in $Results) {
            $patches = foreach ($e in $r.Errors) { '{0},{1}:{2}/{3}/{4}' -f $e.Center.X, $e.Center.Y, $e.Rank, $e.Error, $e.BestScore.ToString('R', [cultureinfo]::InvariantCulture) }
            '{0}|{1}|{2}|{3}' -f $r.Metric, $r.Source, $r.MeanError.ToString('R', [cultureinfo]::InvariantCulture), ($patches -join ';')
        }
    }
}

Describe 'ForEach-Object -Parallel over image pairs' -Skip:(-not $HasData) {
    BeforeAll {
        $names = '16010.png', '20017.png', '32007.png', '34016.png'
        $pairs = foreach ($n in $names) {
            [pscustomobject]@{ Name = $n; Ct = Join-Path $DataRoot "ct-mr-head/CT/$n"; Mr = Join-Path $DataRoot "ct-mr-head/MR/$n" }
        }
        # A small learned metric, trained once here and shared (read-only) with every runspace through $using:.
        $ct0 = Import-MedicalImage $pairs[0].Ct
        $mr0 = Import-MedicalImage $pairs[0].Mr
        $model = Get-PatchPair -Fixed $ct0 -Moving $mr0 -Region Skull -Count 300 -Seed 7 | Invoke-SimilarityTraining -Epochs 2 -Seed 7

        $work = {
            param($pair, $model)
            $ct = Import-MedicalImage $pair.Ct
            $mr = Import-MedicalImage $pair.Mr
            Measure-PredictionError -Metric $model, 'NMI', 'LCC' -Fixed $ct -Moving $mr -Count 12 -SearchRadius 8 -Seed 11 -SourceName $pair.Name
        }
        # Serially with the thread count each parallel runspace uses (1), and serially with libtorch's default.
        $serial = & { $DeepSimThreadLimit = 1; foreach ($p in $pairs) { & $work $p $model } }
        $serialDefault = foreach ($p in $pairs) { & $work $p $model }
        $workText = $work.ToString()
        # One thread per runspace, set explicitly: the automatic share depends on how many runspaces compute at the
        # moment a computation starts, and learned scores are bit-identical only at equal thread counts.
        $parallel = $pairs | ForEach-Object -ThrottleLimit 2 -Parallel {
            Import-Module $using:manifest
            $DeepSimThreadLimit = 1
            $threads = (Get-DeepSimRuntime).Threads
            $results = & ([scriptblock]::Create($using:workText)) $_ $using:model
            [pscustomobject]@{ Name = $_.Name; Threads = $threads; Runspace = [runspace]::DefaultRunspace.Name; Results = $results }
        }
    }

    It 'runs every pair in a parallel runspace' {
        @($parallel).Count | Should -Be 4
        $parallel.Runspace | ForEach-Object { $_ | Should -BeLike 'PSTask*' }
    }

    It 'computes with the thread count the script block set in each parallel runspace' {
        $parallel.Threads | ForEach-Object { $_ | Should -Be 1 }
    }

    It 'gives the same numbers as the serial run at the same thread count, pair by pair and patch by patch, bit for bit' {
        $expected = Get-Fingerprint $serial
        $actual = Get-Fingerprint ($parallel | Sort-Object { $names.IndexOf($_.Name) } | ForEach-Object { $_.Results })
        @($actual).Count | Should -Be 12
        $actual | Should -Be $expected
    }

    It 'agrees with the serial run at libtorch''s default thread count: classical metrics bit for bit, the learned one within float rounding' {
        # libtorch's kernels may sum in another order with another thread count (and the scoring guard may verify a
        # different plan for it), so the learned scores agree to float rounding, not to the bit; near-ties may then rank differently.
        $parallelResults = @($parallel | Sort-Object { $names.IndexOf($_.Name) } | ForEach-Object { $_.Results })
        @($serialDefault).Count | Should -Be 12
        for ($i = 0; $i -lt 12; $i++) {
            $a = $serialDefault[$i]; $b = $parallelResults[$i]
            $b.Metric | Should -Be $a.Metric
            if ($a.Metric -in 'NMI', 'LCC') {
                Get-Fingerprint $b | Should -Be (Get-Fingerprint $a)
            }
            else {
                for ($k = 0; $k -lt $a.Errors.Count; $k++) {
                    $x = $a.Errors[$k].BestScore; $y = $b.Errors[$k].BestScore
                    [Math]::Abs($x - $y) | Should -BeLessOrEqual (1e-4 * [Math]::Max(1, [Math]::Abs($x))) -Because "patch $k of $($a.Source)"
                }
            }
        }
    }
}

Describe 'The runspace thread limit' {
    It 'follows $DeepSimThreadLimit in this runspace and is unset by default' {
        (Get-DeepSimRuntime).ThreadLimit | Should -BeNullOrEmpty
        $DeepSimThreadLimit = 1
        $rt = Get-DeepSimRuntime
        $rt.ThreadLimit | Should -Be 1
        $rt.Threads | Should -Be 1
        Remove-Variable DeepSimThreadLimit
        $rt = Get-DeepSimRuntime
        $rt.ThreadLimit | Should -BeNullOrEmpty
        $rt.Threads | Should -Be $rt.ProcessDefaultThreads
    }

    It 'lets a parallel runspace choose its own limit' {
        $threads = 1..2 | ForEach-Object -ThrottleLimit 2 -Parallel {
            Import-Module $using:manifest
            $DeepSimThreadLimit = $_
            (Get-DeepSimRuntime).Threads
        }
        ($threads | Sort-Object) | Should -Be @(1, 2)
    }

    It 'shares the cores automatically between runspaces that run DeepSim commands at the same time (Start-ThreadJob)' {
        # Two thread jobs each hold a DeepSim command open (Get-DeepSimRuntime's pipeline lasts until the script block
        # downstream ends), meet at a barrier, and then probe again: both must see two active runspaces and the share.
        $barrier = [System.Threading.Barrier]::new(2)
        $jobs = 1..2 | ForEach-Object {
            Start-ThreadJob -ArgumentList $manifest, $barrier -ScriptBlock {
                param($manifest, $barrier)
                Import-Module $manifest
                Get-DeepSimRuntime | ForEach-Object {
                    if (-not $barrier.SignalAndWait(30000)) { throw 'the other job did not arrive' }
                    $together = Get-DeepSimRuntime
                    if (-not $barrier.SignalAndWait(30000)) { throw 'the other job did not arrive' }
                    $together
                }
            }
        }
        $seen = $jobs | Wait-Job -Timeout 120 | Receive-Job -ErrorAction Stop
        $jobs | Remove-Job -Force
        @($seen).Count | Should -Be 2
        $share = [Math]::Max(1, [Math]::Floor([Environment]::ProcessorCount / 2))
        foreach ($rt in $seen) {
            $rt.ActiveRunspaces | Should -Be 2
            $rt.ThreadLimit | Should -BeNullOrEmpty
            $rt.Threads | Should -Be $share
        }

        # Alone again, this runspace gets libtorch's default; an explicit limit always wins.
        $alone = Get-DeepSimRuntime
        $alone.ActiveRunspaces | Should -Be 1
        $alone.Threads | Should -Be $alone.ProcessDefaultThreads
    }

    It 'rejects a limit that is not a positive whole number' {
        $DeepSimThreadLimit = 'many'
        { Get-DeepSimRuntime } | Should -Throw -ErrorId 'InvalidThreadLimit,*'
        $DeepSimThreadLimit = 0
        { Get-DeepSimRuntime } | Should -Throw -ErrorId 'InvalidThreadLimit,*'
    }
}

Describe 'Invoke-Command over SSH to two sessions on 127.0.0.1' -Skip:(-not $HasData -or -not $HasSsh) {
    BeforeAll {
        # Everything the test's own sshd needs lives in one temporary folder: keys, config, log, the subsystem wrapper.
        $sshDir = Join-Path ([IO.Path]::GetTempPath()) ('deepsim-ssh-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $sshDir | Out-Null
        & ssh-keygen -q -t ed25519 -N '' -C deepsim-test-client -f (Join-Path $sshDir 'client_key')
        & ssh-keygen -q -t ed25519 -N '' -C deepsim-test-host -f (Join-Path $sshDir 'host_key')
        Copy-Item (Join-Path $sshDir 'client_key.pub') (Join-Path $sshDir 'authorized_keys')

        # sshd runs the subsystem through a shell; pwsh here is `dotnet pwsh.dll` (the repo's local tool), so a wrapper execs it.
        $hostExe = [Environment]::ProcessPath
        $pwshCommand = if ([IO.Path]::GetFileNameWithoutExtension($hostExe) -eq 'dotnet') { "'$hostExe' '$(Join-Path $PSHOME 'pwsh.dll')'" } else { "'$hostExe'" }
        $wrapper = Join-Path $sshDir 'pwsh-subsystem.sh'
        Set-Content -LiteralPath $wrapper -Value "#!/bin/sh`nexec $pwshCommand -sshs -NoLogo -NoProfile`n" -NoNewline
        & chmod 755 $wrapper

        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $port = $listener.LocalEndpoint.Port
        $listener.Stop()
        $config = Join-Path $sshDir 'sshd_config'
        Set-Content -LiteralPath $config -Value @"
ListenAddress 127.0.0.1
Port $port
HostKey $(Join-Path $sshDir 'host_key')
AuthorizedKeysFile $(Join-Path $sshDir 'authorized_keys')
PidFile $(Join-Path $sshDir 'sshd.pid')
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM yes
Subsystem powershell $wrapper
LogLevel VERBOSE
"@
        # Run as root, sshd needs its privilege-separation folder, which Debian creates only when the service starts.
        if ([Environment]::UserName -eq 'root' -and -not (Test-Path '/run/sshd')) { New-Item -ItemType Directory -Path '/run/sshd' | Out-Null }
        $sshdLog = Join-Path $sshDir 'sshd.log'
        $sshd = Start-Process -FilePath '/usr/sbin/sshd' -ArgumentList '-D', '-e', '-f', $config -RedirectStandardError $sshdLog -PassThru
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        $listening = $false
        while (-not $listening -and [DateTime]::UtcNow -lt $deadline -and -not $sshd.HasExited) {
            try { $c = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port); $c.Dispose(); $listening = $true } catch { Start-Sleep -Milliseconds 200 }
        }
        if (-not $listening) { throw "sshd did not listen on 127.0.0.1:$port. Its log: $(Get-Content -Raw $sshdLog)" }

        $options = @{ LogLevel = 'ERROR'; StrictHostKeyChecking = 'no'; UserKnownHostsFile = (Join-Path $sshDir 'known_hosts'); IdentitiesOnly = 'yes'; BatchMode = 'yes' }
        $sessions = foreach ($i in 1..2) {
            New-PSSession -HostName 127.0.0.1 -Port $port -UserName ([Environment]::UserName) -KeyFilePath (Join-Path $sshDir 'client_key') -Options $options -ConnectingTimeout 120000 -ErrorAction Stop
        }

        # The work: the same pairs and model as a local run. The model travels as a file, as it would to another machine.
        $names = '16010.png', '20017.png', '32007.png', '34016.png'
        $pairs = foreach ($n in $names) { [pscustomobject]@{ Name = $n; Ct = Join-Path $DataRoot "ct-mr-head/CT/$n"; Mr = Join-Path $DataRoot "ct-mr-head/MR/$n" } }
        $ct0 = Import-MedicalImage $pairs[0].Ct
        $mr0 = Import-MedicalImage $pairs[0].Mr
        $model = Get-PatchPair -Fixed $ct0 -Moving $mr0 -Region Skull -Count 300 -Seed 7 | Invoke-SimilarityTraining -Epochs 2 -Seed 7
        $modelFile = Join-Path $sshDir 'model.dsim'
        $model | Export-SimilarityModel -Path $modelFile
        $fingerprintText = ${function:Get-Fingerprint}.ToString()
        $remote = {
            param($Manifest, $ModelFile, $Pairs, $FingerprintText)
            Import-Module $Manifest
            # Scores compare bit for bit only at equal thread counts (TorchThreads): the same explicit limit here and
            # locally, so the answer does not depend on the OMP_NUM_THREADS the test runner happens to have, which the
            # SSH sessions do not inherit (a tie between two near-equal scores flipped once when the two differed).
            $DeepSimThreadLimit = 1
            ${function:Get-Fingerprint} = [scriptblock]::Create($FingerprintText)
            $m = Import-SimilarityModel $ModelFile
            foreach ($p in $Pairs) {
                $ct = Import-MedicalImage $p.Ct
                $mr = Import-MedicalImage $p.Mr
                Get-Fingerprint (Measure-PredictionError -Metric $m, 'NMI', 'LCC' -Fixed $ct -Moving $mr -Count 12 -SearchRadius 8 -Seed 11 -SourceName $p.Name)
            }
            "pid=$PID"
        }
        $local = & { $DeepSimThreadLimit = 1; foreach ($p in $pairs) {
            $ct = Import-MedicalImage $p.Ct
            $mr = Import-MedicalImage $p.Mr
            Get-Fingerprint (Measure-PredictionError -Metric (Import-SimilarityModel $modelFile), 'NMI', 'LCC' -Fixed $ct -Moving $mr -Count 12 -SearchRadius 8 -Seed 11 -SourceName $p.Name)
        } }
        # Two sessions at once, two pairs each.
        $jobs = @(
            Invoke-Command -Session $sessions[0] -ScriptBlock $remote -ArgumentList $manifest, $modelFile, @($pairs[0], $pairs[2]), $fingerprintText -AsJob
            Invoke-Command -Session $sessions[1] -ScriptBlock $remote -ArgumentList $manifest, $modelFile, @($pairs[1], $pairs[3]), $fingerprintText -AsJob
        )
        $answers = foreach ($j in $jobs) { , @(Receive-Job -Job $j -Wait -AutoRemoveJob -ErrorAction Stop) }
    }

    AfterAll {
        if ($sessions) { $sessions | Remove-PSSession }
        if ($sshd -and -not $sshd.HasExited) { Stop-Process -Id $sshd.Id -Force; $sshd.WaitForExit(10000) | Out-Null }
        if ($sshDir -and (Test-Path $sshDir)) { Remove-Item $sshDir -Recurse -Force }
    }

    It 'opens two SSH sessions, each its own remote pwsh process' {
        @($sessions).Count | Should -Be 2
        $sessions | ForEach-Object { $_.State | Should -Be 'Opened'; $_.Transport | Should -Be 'SSH' }
        $pids = $answers | ForEach-Object { $_[-1] }
        $pids | Should -Match '^pid=\d+$'
        $pids[0] | Should -Not -Be $pids[1]
        $pids | Should -Not -Contain "pid=$PID"
    }

    It 'gives the same numbers on both remote sessions as the local run' {
        $remoteLines = @($answers[0][0..2]) + @($answers[1][0..2]) + @($answers[0][3..5]) + @($answers[1][3..5])
        @($local).Count | Should -Be 12
        $remoteLines | Should -Be $local
    }
}
