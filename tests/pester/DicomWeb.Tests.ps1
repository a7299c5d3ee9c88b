BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'OrthancHelpers.ps1')
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'OrthancHelpers.ps1')
    Import-Module $ModuleManifest -Force
    $pydicom = Join-Path $DataRoot 'dicom/pydicom'
}

Describe 'Find-DicomStudy | Find-DicomSeries | Import-MedicalImage against a real Orthanc' -Skip:(-not ($HasData -and $HasOrthanc)) {
    BeforeAll {
        $orthanc = Start-TestOrthanc
        $ctId = Publish-TestOrthancFile $orthanc (Join-Path $pydicom 'CT_small.dcm')
        $null = Publish-TestOrthancFile $orthanc (Join-Path $pydicom 'MR_small.dcm')
    }
    AfterAll { Stop-TestOrthanc $orthanc }

    It 'finds a study by patient and modality and reads its series like the file' {
        $study = Find-DicomStudy -Uri $orthanc.DicomWeb -PatientID '1CT1' -Modality CT
        $study | Should -BeOfType DeepSim.Archive.DicomWebStudy
        @($study).Count | Should -Be 1
        $study.ModalitiesInStudy | Should -Contain 'CT'

        $image = $study | Find-DicomSeries -Modality CT | Import-MedicalImage
        $file = Import-MedicalImage (Join-Path $pydicom 'CT_small.dcm')
        $image | Should -BeOfType DeepSim.Imaging.MedicalImage
        $image.Size | Should -Be $file.Size
        $image.Spacing | Should -Be $file.Spacing
        $image.Origin | Should -Be $file.Origin
        $image.Modality | Should -Be 'CT'
        [System.Linq.Enumerable]::SequenceEqual([float[]]$image.GetVoxels(), [float[]]$file.GetVoxels()) | Should -BeTrue
        $image.SourcePath | Should -BeLike "$($orthanc.DicomWeb)/studies/*/series/*"
    }

    It 'filters series by modality across studies with -Uri and shows them in a table' {
        $mr = Find-DicomSeries -Uri $orthanc.DicomWeb -Modality MR
        @($mr).Count | Should -Be 1
        $mr.Modality | Should -Be 'MR'
        $mr.NumberOfSeriesRelatedInstances | Should -Be 1
        ($mr | Format-Table | Out-String -Width 300) | Should -Match 'SeriesInstanceUID'
        @(Find-DicomSeries -Uri $orthanc.DicomWeb -Modality PT).Count | Should -Be 0
    }

    It 'reports a series deleted on the server as a non-terminating DicomWebNotFound naming the URL and status' {
        $series = Find-DicomSeries -Uri $orthanc.DicomWeb -Modality CT
        Invoke-RestMethod -Method Delete -Uri "$($orthanc.Rest)/instances/$ctId" | Out-Null
        $images = $series | Import-MedicalImage -ErrorVariable failed -ErrorAction SilentlyContinue
        $images | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'DicomWebNotFound,*'
        $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failed[0].TargetObject | Should -Be $series
        $failed[0].Exception.Message | Should -BeLike "*$($orthanc.DicomWeb)*404*"
    }
}

Describe 'QIDO-RS paging and Find-DicomInstance against a real Orthanc' -Skip:(-not ($HasData -and $HasOrthanc)) {
    BeforeAll {
        # Orthanc's own cap (LimitFindResults / LimitFindInstances) truncates the query itself: with offset it pages
        # inside the truncated set, so no client can page past it (checked with Orthanc 1.10 and its DICOMweb plugin
        # 1.7). Paging is therefore tested with -PageSize, which makes every answer a short page of the whole set.
        $orthanc = Start-TestOrthanc
        foreach ($f in 'CT_small.dcm', 'MR_small.dcm', 'JPEG2000.dcm', 'image_dfl.dcm') { $null = Publish-TestOrthancFile $orthanc (Join-Path $pydicom $f) }
        $seriesFolder = Join-Path ([IO.Path]::GetTempPath()) ('deepsim-series-' + [guid]::NewGuid().ToString('N'))
        & /usr/bin/python3 (Join-Path $PSScriptRoot '../../bench/archive/make_series.py') $seriesFolder 5 | Out-Null
        if ($LASTEXITCODE -ne 0) { throw 'make_series.py failed' }
        Get-ChildItem $seriesFolder -Filter *.dcm | ForEach-Object { $null = Publish-TestOrthancFile $orthanc $_.FullName }
        $restStudies = (Invoke-RestMethod "$($orthanc.Rest)/studies").Count
        $restSeries = (Invoke-RestMethod "$($orthanc.Rest)/series").Count
    }
    AfterAll {
        Stop-TestOrthanc $orthanc
        Remove-Item -LiteralPath $seriesFolder -Recurse -Force -ErrorAction Ignore
    }

    It 'pages with -PageSize until every study and series has come, and says so with -Verbose' {
        $restStudies | Should -Be 5
        $all = @(Find-DicomStudy -Uri $orthanc.DicomWeb)
        $all.Count | Should -Be $restStudies

        $paged = Find-DicomStudy -Uri $orthanc.DicomWeb -PageSize 2 -Verbose 4>&1
        $notes = @($paged | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $studies = @($paged | Where-Object { $_ -is [DeepSim.Archive.DicomWebStudy] })
        $studies.Count | Should -Be $restStudies
        ($studies.StudyInstanceUID | Sort-Object) | Should -Be ($all.StudyInstanceUID | Sort-Object)
        ($notes.Message -join ' ') | Should -Match "$restStudies matches in 4 pages" # 2 + 2 + 1 + an empty page

        @(Find-DicomStudy -Uri $orthanc.DicomWeb -PageSize 1).Count | Should -Be $restStudies
        @(Find-DicomSeries -Uri $orthanc.DicomWeb -PageSize 2).Count | Should -Be $restSeries
        { Find-DicomStudy -Uri $orthanc.DicomWeb -PageSize 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }

    It 'lists every instance of a series with Find-DicomInstance, and Import-MedicalImage reads them as the series' {
        $series = Find-DicomSeries -Uri $orthanc.DicomWeb -Modality CT | Where-Object NumberOfSeriesRelatedInstances -eq 5
        @($series).Count | Should -Be 1
        $instances = $series | Find-DicomInstance -PageSize 2
        $instances | Should -BeOfType DeepSim.Archive.DicomWebInstance
        @($instances).Count | Should -Be 5
        ($instances.InstanceNumber | Sort-Object) | Should -Be @(1, 2, 3, 4, 5)
        $instances.SeriesInstanceUID | Select-Object -Unique | Should -Be $series.SeriesInstanceUID
        ($instances | Format-Table | Out-String -Width 300) | Should -Match 'SOPInstanceUID'

        $byUid = Find-DicomInstance $orthanc.DicomWeb -StudyInstanceUID $series.StudyInstanceUID -SeriesInstanceUID $series.SeriesInstanceUID -InstanceNumber 3
        @($byUid).Count | Should -Be 1
        $byUid.SOPInstanceUID | Should -Be ($instances | Where-Object InstanceNumber -eq 3).SOPInstanceUID

        $volume = $instances | Import-MedicalImage
        $whole = $series | Import-MedicalImage
        $fromFiles = Import-MedicalImage $seriesFolder
        $volume.Size | Should -Be @(512, 512, 5)
        $volume.Spacing | Should -Be $fromFiles.Spacing
        $volume.Origin | Should -Be $fromFiles.Origin
        $volume.SourcePath | Should -Be $whole.SourcePath
        [System.Linq.Enumerable]::SequenceEqual([float[]]$volume.GetVoxels(), [float[]]$fromFiles.GetVoxels()) | Should -BeTrue

        $part = $instances | Where-Object InstanceNumber -le 3 | Import-MedicalImage
        $part.SizeZ | Should -Be 3
    }
}

Describe 'DICOMweb credentials as a user gives them' -Skip:(-not $HasOrthanc) {
    BeforeAll {
        $orthanc = Start-TestOrthanc -User 'radiologist' -Password 'c0rrect-h0rse'
        $password = ConvertTo-SecureString 'c0rrect-h0rse' -AsPlainText -Force
    }
    AfterAll { Stop-TestOrthanc $orthanc }

    It 'works with a PSCredential' {
        $cred = [pscredential]::new('radiologist', $password)
        { Find-DicomStudy -Uri $orthanc.DicomWeb -Credential $cred -ErrorAction Stop } | Should -Not -Throw
    }

    It 'stops with DicomWebUnauthorized, the URL and 401 when credentials are missing or wrong' {
        $wrong = [pscredential]::new('radiologist', (ConvertTo-SecureString 'guess' -AsPlainText -Force))
        foreach ($call in { Find-DicomStudy -Uri $orthanc.DicomWeb }, { Find-DicomStudy -Uri $orthanc.DicomWeb -Credential $wrong }) {
            $e = { & $call } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeLike 'DicomWebUnauthorized,*'
            $e.CategoryInfo.Category | Should -Be 'AuthenticationError'
            $e.Exception.Message | Should -BeLike "*$($orthanc.DicomWeb)*401*"
        }
    }

    It 'refuses -Credential and -Token together' {
        $cred = [pscredential]::new('radiologist', $password)
        $e = { Find-DicomStudy -Uri $orthanc.DicomWeb -Credential $cred -Token $password } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'DicomWebCredentialConflict,*'
    }
}

Describe 'DICOMweb errors a user meets without an archive' {
    It 'stops with DicomWebUnreachable naming the server when nothing listens' {
        . (Join-Path $PSScriptRoot 'OrthancHelpers.ps1')
        $port = Get-FreeTcpPort
        $e = { Find-DicomStudy -Uri "http://127.0.0.1:$port/dicom-web" -PatientID x } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'DicomWebUnreachable,*'
        $e.CategoryInfo.Category | Should -Be 'ConnectionError'
        $e.Exception.Message | Should -BeLike "*http://127.0.0.1:$port/dicom-web*"
    }

    It 'refuses a URL that is not http(s)' {
        $e = { Find-DicomSeries -Uri 'ftp://example.org/dicom-web' } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'DicomWebUriInvalid,*'
    }
}
