Feature: Qualified tool versions
  The versions the platform was qualified with: Terraform 1.9 or later with the hashicorp/aws
  provider 5.100.0, Python 3.11 or later, and the harness packages pinned in requirements.txt.

  @URS_031
  Scenario: Terraform and the AWS provider are the qualified versions
    Then the Terraform CLI is version 1.9 or later
    And Terraform uses the hashicorp/aws provider version 5.100.0
    And the provider lock file pins hashicorp/aws version 5.100.0

  @URS_031
  Scenario: Python and the harness packages are the qualified versions
    Then Python is version 3.11 or later
    And every package pinned in requirements.txt is installed at its pinned version
