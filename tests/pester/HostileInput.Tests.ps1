BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

# Issue 9, section 2, as a user meets it: names with [ ], link loops, broken model files among good ones, exports over
# read-only files and links, and the messages that come back.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModuleManifest -Force

    function New-TinyMetaImage([string] $Path, [int] $Seed = 1) {
        $header = "ObjectType = Image`nNDims = 2`nDimSize = 4 4`nElementType = MET_UCHAR`nElementDataFile = LOCAL`n"
        $bytes = [System.Text.Encoding]::ASCII.GetBytes($header) + [byte[]](1..16 | ForEach-Object { ($_ * $Seed) % 251 })
        [System.IO.File]::WriteAllBytes($Path, $bytes)
    }

    function New-TinyModel([string] $Name = 'tiny') {
        $layer = [DeepSim.Learning.DenseLayer]::new(2, 18, [float[]]::new(36), [float[]]::new(2))
        [DeepSim.Learning.SimilarityModel]::new($Name, 3, 'ImageRange', 'Sigmoid', [DeepSim.Learning.DenseLayer[]]@($layer),
            [DeepSim.Learning.SimilarityTrainingOptions]::new(), [DeepSim.Learning.TrainingEpoch[]]@(), 0, $false, 0, [DateTimeOffset]::UnixEpoch)
    }

    $root = Join-Path ([System.IO.Path]::GetTempPath()) ("deepsim-hostile-" + [guid]::NewGuid())
    New-Item -ItemType Directory -Path $root | Out-Null
}

AfterAll {
    if ($root -and (Test-Path -LiteralPath $root)) { Remove-Item -LiteralPath $root -Recurse -Force }
}

Describe 'File names with [ ] and wildcards that match nothing (item 6)' {
    BeforeAll {
        $dir = Join-Path $root 'brackets'
        New-Item -ItemType Directory -Path $dir | Out-Null
        New-TinyMetaImage (Join-Path $dir 'pair[1].mha') 3
        New-TinyModel | Export-SimilarityModel -Path (Join-Path $dir 'model[1].dsim') -ErrorAction Stop
    }

    It 'Import-MedicalImage reads a piped file whose name holds [ ]' {
        $img = Get-ChildItem -LiteralPath $dir -Filter '*.mha' | Import-MedicalImage -ErrorAction Stop
        @($img).Count | Should -Be 1
        $img.Name | Should -Be 'pair[1].mha'
    }

    It 'Import-MedicalImage -LiteralPath and a plain -Path name with [ ] read the file' {
        (Import-MedicalImage -LiteralPath (Join-Path $dir 'pair[1].mha')).Name | Should -Be 'pair[1].mha'
        (Import-MedicalImage -Path (Join-Path $dir 'pair[1].mha')).Name | Should -Be 'pair[1].mha'
    }

    It 'Import-SimilarityModel reads a piped model file whose name holds [ ]' {
        $m = Get-ChildItem -LiteralPath $dir -Filter '*.dsim' | Import-SimilarityModel -ErrorAction Stop
        $m.Name | Should -Be 'tiny'
    }

    It 'Import-ImagePair takes a fixed folder whose name holds [ ]' {
        $ct = New-Item -ItemType Directory -Path (Join-Path $root 'ct[1]')
        $mr = New-Item -ItemType Directory -Path (Join-Path $root 'mr[1]')
        New-TinyMetaImage (Join-Path $ct 'p[2].mha') 3
        New-TinyMetaImage (Join-Path $mr 'p[2].mha') 5
        $pair = Import-ImagePair -FixedPath $ct.FullName -MovingPath $mr.FullName -ErrorAction Stop
        @($pair).Count | Should -Be 1
        $pair.Name | Should -Be 'p[2].mha'
    }

    It 'gives an error for a wildcard that matches nothing, in every importer' {
        $none = Join-Path $dir 'nothing*.xyz'
        Import-MedicalImage $none -ErrorVariable e1 -ErrorAction SilentlyContinue
        Import-SimilarityModel $none -ErrorVariable e2 -ErrorAction SilentlyContinue
        Get-DicomTag $none -ErrorVariable e3 -ErrorAction SilentlyContinue
        $e1[0].FullyQualifiedErrorId | Should -BeLike 'ImageFileNotFound,*'
        $e2[0].FullyQualifiedErrorId | Should -BeLike 'ModelFileNotFound,*'
        $e3[0].FullyQualifiedErrorId | Should -BeLike 'DicomFileNotFound,*'
        { Import-ImagePair -FixedPath $none -MovingPath $dir -ErrorAction Stop } | Should -Throw -ErrorId 'ImagePairFixedNotFound*'
    }
}

Describe 'Get-DicomTag on a piped file whose name holds [ ] (item 6)' -Skip:(-not $HasData) {
    It 'reads the tags' {
        $copy = Join-Path $root 'ct[1].dcm'
        Copy-Item -LiteralPath (Join-Path $DataRoot 'dicom/pydicom/CT_small.dcm') -Destination $copy
        $tag = Get-Item -LiteralPath $copy | Get-DicomTag -Name Modality -ErrorAction Stop
        $tag.Value | Should -Be 'CT'
        (Get-DicomTag -LiteralPath $copy -Name Modality).Value | Should -Be 'CT'
    }
}

Describe 'Folder trees with link loops and odd entries (items 1 and 11)' {
    It 'reads each image once and ends, whatever links to folders the tree holds' {
        $tree = New-Item -ItemType Directory -Path (Join-Path $root 'tree')
        $a = New-Item -ItemType Directory -Path (Join-Path $tree 'a')
        New-TinyMetaImage (Join-Path $a 'one.mha')
        New-Item -ItemType SymbolicLink -Path (Join-Path $a 'up') -Target $tree.FullName | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $tree 'again') -Target $a.FullName | Out-Null
        $imgs = Import-MedicalImage $tree.FullName -Recurse -ErrorAction Stop
        @($imgs).Count | Should -Be 1
    }

    It 'reports a symbolic-link loop as a loop, not as access denied' {
        $loop = Join-Path $root 'loop.mha'
        New-Item -ItemType SymbolicLink -Path $loop -Target (Join-Path $root 'loop2.mha') | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $root 'loop2.mha') -Target $loop | Out-Null
        Import-MedicalImage -LiteralPath $loop -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'ImageLinkLoop,*'
        $e[0].ToString() | Should -Not -Match 'denied'
    }
}

Describe 'Model files made by hand (item 8)' {
    It 'reports a broken file among good ones and goes on to the good ones' {
        $models = New-Item -ItemType Directory -Path (Join-Path $root 'models')
        New-TinyModel 'a' | Export-SimilarityModel -Path (Join-Path $models 'a.dsim')
        New-TinyModel 'c' | Export-SimilarityModel -Path (Join-Path $models 'c.dsim')
        $bytes = [System.IO.File]::ReadAllBytes((Join-Path $models 'a.dsim'))
        # Block count 0x7FFFFFFF with a checksum that matches: once OutOfMemoryException stopped the whole import.
        $metaLength = [BitConverter]::ToUInt32($bytes, 24)
        $at = 28 + $metaLength
        $bytes[$at] = 0xFF; $bytes[$at + 1] = 0xFF; $bytes[$at + 2] = 0xFF; $bytes[$at + 3] = 0x7F
        $body = $bytes[0..($bytes.Length - 33)]
        $hash = [System.Security.Cryptography.SHA256]::HashData([byte[]]$body)
        [System.IO.File]::WriteAllBytes((Join-Path $models 'b.dsim'), [byte[]]($body + $hash))
        $loaded = Import-SimilarityModel (Join-Path $models '*.dsim') -ErrorVariable e -ErrorAction SilentlyContinue
        $loaded.Name | Should -Be @('a', 'c')
        @($e).Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -BeLike 'ModelFileCorrupt,*'
        $e[0].TargetObject | Should -BeLike '*b.dsim'
    }
}

Describe 'Exports over what is already at the path (items 9 and 10)' -Skip:($IsWindows) {
    It 'refuses a read-only file without -Force and keeps its mode with -Force' {
        $path = Join-Path $root 'ro.dsim'
        New-TinyModel | Export-SimilarityModel -Path $path
        [System.IO.File]::SetUnixFileMode($path, [System.IO.UnixFileMode]'UserRead, GroupRead, OtherRead')
        $before = [System.IO.File]::ReadAllBytes($path)
        New-TinyModel 'other' | Export-SimilarityModel -Path $path -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'ModelFileReadOnly,*'
        [System.IO.File]::ReadAllBytes($path) | Should -Be $before
        New-TinyModel 'other' | Export-SimilarityModel -Path $path -Force -ErrorAction Stop
        (Import-SimilarityModel $path).Name | Should -Be 'other'
        [System.IO.File]::GetUnixFileMode($path) | Should -Be ([System.IO.UnixFileMode]'UserRead, GroupRead, OtherRead')
    }

    It 'writes through a symbolic link and refuses a device' {
        $target = Join-Path $root 'target.dsim'
        $link = Join-Path $root 'link.dsim'
        New-TinyModel | Export-SimilarityModel -Path $target
        New-Item -ItemType SymbolicLink -Path $link -Target $target | Out-Null
        New-TinyModel 'through' | Export-SimilarityModel -Path $link -ErrorAction Stop
        (Get-Item -LiteralPath $link).LinkTarget | Should -Be $target
        (Import-SimilarityModel $target).Name | Should -Be 'through'
        New-TinyModel | Export-SimilarityModel -Path /dev/null -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'ModelFileNotARegularFile,*'
    }

    It 'removes the temporary file a killed export left in the folder' {
        $left = Join-Path $root ('.m.dsim.' + [guid]::NewGuid().ToString('N') + '.tmp')
        [System.IO.File]::WriteAllBytes($left, [byte[]]::new(4096))
        [System.IO.File]::SetLastWriteTimeUtc($left, [DateTime]::UtcNow.AddHours(-1))
        New-TinyModel | Export-SimilarityModel -Path (Join-Path $root 'm.dsim')
        Test-Path -LiteralPath $left | Should -BeFalse
    }
}
