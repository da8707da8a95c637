# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for hugepagectl(1)
_hugepagectl()
{
        local cur prev words cword
        _init_completion || return
        case $prev in
        -s | --socket)
                _filedir
                return
                ;;
        --id)
                return
                ;;
        esac
        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W '--socket --json --no-legend --bytes --id --help --version' -- "$cur"))
                return
        fi
        local i
        for ((i = 1; i < cword; i++)); do
                case ${words[i]} in
                log-level)
                        COMPREPLY=($(compgen -W 'emerg alert crit err warning notice info debug' -- "$cur"))
                        return
                        ;;
                list | status | users | show | remove | help) return ;;
                esac
        done
        COMPREPLY=($(compgen -W 'list status users show remove log-level help' -- "$cur"))
} &&
        complete -F _hugepagectl hugepagectl
