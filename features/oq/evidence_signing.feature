Feature: Evidence package signing
  Every qualification run leaves an evidence package: a SHA-256 manifest of its files, signed through
  KMS with the platform's asymmetric evidence signing key, and the public half of that key. The package
  verifies offline, without AWS, and verification names every altered, missing or extra file. A sample
  package of a few small files is signed here exactly the way a qualification run signs its own.

  Background:
    Given the platform's evidence signing key

  @URS_032
  Scenario: After KMS signing, a sample evidence package verifies offline with its bundled public key
    When a sample evidence package is signed with it through KMS
    Then the package verifies offline with the bundled public key
    And the bundled public key is the one KMS returns for the signing key

  @URS_032 @negative
  Scenario Outline: After KMS signing, offline verification names <file> when it is <change>
    Given a sample evidence package is signed with it through KMS
    When <file> is <change>
    Then offline verification fails and names <file> as <named as>

    Examples:
      | file               | change                   | named as |
      | report.json        | altered in one byte      | altered  |
      | results/oq.json    | altered in one byte      | altered  |
      | public_key.pem     | altered in one byte      | altered  |
      | results/iq.json    | removed from the package | missing  |
      | public_key.pem     | removed from the package | missing  |
      | manifest.sig       | removed from the package | missing  |
      | notes.txt          | added to the package     | extra    |
      | results/extra.json | added to the package     | extra    |
